"""Examples in the schema: /docs pre-fills "Try it out" with them, /openapi.json lists them.

``model_config = ConfigDict(json_schema_extra=...)`` adds keys to the model's JSON schema;
an ``examples`` list there appears in ``components.schemas.Recipe.examples``.
"""

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class Recipe(BaseModel):
    """A recipe to share."""

    title: str = Field(min_length=1, max_length=80)
    minutes: int = Field(gt=0, le=24 * 60)
    vegetarian: bool = False

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Pancakes", "minutes": 20, "vegetarian": True}],
        }
    )


app = FastAPI(title="Recipes")


@app.post("/recipes", status_code=201)
def add_recipe(recipe: Recipe) -> Recipe:
    """Echo the recipe back with 201 Created."""
    return recipe
