"""A response model that hides a field, and 201 Created for a new resource.

The route returns a dict that still holds the password hash; ``response_model=AccountOut``
filters it, so only the fields ``AccountOut`` declares reach the client.
"""

import hashlib

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, Field


class SignupIn(BaseModel):
    """What a client sends to open an account."""

    username: str = Field(min_length=3, max_length=30)
    password: str = Field(min_length=8)


class AccountOut(BaseModel):
    """What the API shows of an account: never the password, nor its hash."""

    id: int
    username: str


app = FastAPI(title="Accounts")
accounts: dict[int, dict] = {}


@app.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
def open_account(signup: SignupIn) -> dict:
    """Store the new account (with a hash of its password) and answer 201 Created."""
    account = {
        "id": len(accounts) + 1,
        "username": signup.username,
        "password_hash": hashlib.sha256(signup.password.encode()).hexdigest(),
    }
    accounts[account["id"]] = account
    return account  # password_hash is dropped by the response model


@app.get("/accounts/{account_id}", response_model=AccountOut)
def read_account(account_id: int) -> dict:
    """One account, or 404 when there is none."""
    if account_id not in accounts:
        raise HTTPException(status_code=404, detail=f"Account {account_id} not found")
    return accounts[account_id]
