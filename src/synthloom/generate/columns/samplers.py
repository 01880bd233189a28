"""Sampler columns: categories, numbers, dates, ids and fictional people, all seeded per cell."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from synthloom.config import columns as C
from synthloom.generate.cells import CellContext, CellRejected
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.registry import generates

TRAITS = (
    "curious", "skeptical", "patient", "impatient", "detail-oriented", "big-picture", "cautious",
    "adventurous", "pragmatic", "idealistic", "analytical", "creative", "blunt", "diplomatic",
    "anxious", "confident", "frugal", "generous", "competitive", "cooperative",
)
STYLES = (
    "writes short, direct messages", "writes long, careful messages", "uses casual language",
    "uses formal language", "asks many follow-up questions", "gives lots of context up front",
    "makes occasional typos", "uses technical vocabulary", "prefers step-by-step answers",
    "prefers examples over theory",
)
EXPERTISE = ("novice", "intermediate", "expert")


@lru_cache(maxsize=16)
def _faker(locale: str) -> Any:
    from faker import Faker

    try:
        return Faker(locale)
    except AttributeError:
        from synthloom.config.errors import SynthloomError

        raise SynthloomError(f"locale '{locale}' is not known to Faker; use e.g. en_US, de_DE, fr_FR, ja_JP") from None


def _parse_when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())


def _category(cfg: C.CategorySampler, ctx: CellContext, rng: random.Random) -> Any:
    return rng.choices(cfg.values, weights=cfg.weights, k=1)[0]


def _subcategory(cfg: C.SubcategorySampler, ctx: CellContext, rng: random.Random) -> Any:
    parent = ctx.row.values.get(cfg.parent)
    options = cfg.values.get(str(parent))
    if not options:
        raise CellRejected(f"no subcategories listed for {cfg.parent}={parent!r}")
    return rng.choice(options)


def _datetime(cfg: C.DatetimeSampler, ctx: CellContext, rng: random.Random) -> str:
    start, end = _parse_when(cfg.start), _parse_when(cfg.end)
    if cfg.unit == "day":
        days = (end.date() - start.date()).days
        return (start.date() + timedelta(days=rng.randint(0, max(days, 0)))).isoformat()
    seconds = int((end - start).total_seconds())
    return (start + timedelta(seconds=rng.randint(0, max(seconds, 0)))).isoformat()


def _person(cfg: C.PersonSampler | C.PersonaSampler, ctx: CellContext, rng: random.Random) -> dict[str, Any]:
    fake = _faker(cfg.locale)
    fake.seed_instance(rng.getrandbits(32))
    sex = rng.choice(("female", "male"))
    first = fake.first_name_female() if sex == "female" else fake.first_name_male()
    last = fake.last_name()
    person = {
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "sex": sex,
        "age": rng.randint(*cfg.age_range),
        "city": fake.city(),
        "occupation": fake.job(),
    }
    if isinstance(cfg, C.PersonaSampler):
        person["traits"] = rng.sample(TRAITS, 2)
        person["style"] = rng.choice(STYLES)
        person["expertise"] = rng.choice(EXPERTISE)
    return person


# sampler config class -> how one cell is drawn, from the cell's own random stream
DRAWS: dict[type, Callable[[Any, CellContext, random.Random], Any]] = {
    C.CategorySampler: _category,
    C.SubcategorySampler: _subcategory,
    C.UniformSampler: lambda cfg, ctx, rng: rng.uniform(cfg.low, cfg.high),
    C.IntSampler: lambda cfg, ctx, rng: rng.randint(cfg.low, cfg.high),
    C.GaussianSampler: lambda cfg, ctx, rng: rng.gauss(cfg.mean, cfg.std),
    C.DatetimeSampler: _datetime,
    C.UuidSampler: lambda cfg, ctx, rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    C.PersonSampler: _person,
    C.PersonaSampler: _person,
}


@generates(*DRAWS)
class SamplerGenerator(BaseGenerator[Any]):
    def __init__(self, config: Any, ctx: BuildContext):
        super().__init__(config, ctx)
        self._draw = DRAWS[type(config)]

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        return self._draw(self.config, ctx, ctx.rng())
