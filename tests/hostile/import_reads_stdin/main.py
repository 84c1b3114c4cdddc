"""A submission that asks for input while being imported: nobody is there to type it."""

from fastapi import FastAPI

app = FastAPI(title=input("Title of the API? "))
