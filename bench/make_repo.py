"""Generate a realistic FastAPI/SQLAlchemy-style repository of about N lines, as a git repo.

    python bench/make_repo.py --lines 100000 --out repo-100k [--seed 7]

The repo is made of "domains" (orders, invoices, ...), each a package with SQLAlchemy models,
Pydantic schemas, a FastAPI router, a service layer and its tests, with varied field names,
function sizes and branching. A few deliberate findings are sprinkled in with the seed (an
unused import, a bare except, an f-string SQL query, a hardcoded password, a mutable default,
a deeply branching function, an N+1 loop) so that every analyzer has something to report.
The same `--lines` and `--seed` always give the same files and the same commit.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
from pathlib import Path

_WORDS = (
    "order invoice product customer payment shipment coupon review cart wishlist stock "
    "warehouse supplier refund ticket message booking room event venue seat driver route "
    "vehicle course lesson student teacher grade report budget expense account ledger "
    "project task sprint label comment article author tag subscription plan feature"
)
_FIELDS = (
    "name title code status note amount price quantity total currency email phone city "
    "country street zipcode rating score level priority kind source reference description"
)
WORDS = tuple(_WORDS.split())
FIELDS = tuple(_FIELDS.split())

HEADER = '''"""{title} of the {domain} domain."""

from __future__ import annotations
'''


def _fields(rng: random.Random) -> list[tuple[str, str]]:
    chosen = rng.sample(FIELDS, rng.randint(4, 9))
    return [(f, rng.choice(("str", "int", "float", "bool"))) for f in chosen]


_SQL_TYPES = {"str": "String(120)", "int": "Integer", "float": "Float", "bool": "Boolean"}


def models(domain: str, cls: str, fields: list[tuple[str, str]], rng: random.Random) -> str:
    out = [HEADER.format(title="Database models", domain=domain)]
    out.append("from datetime import datetime\n")
    out.append("from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String")
    out.append("from sqlalchemy.orm import Mapped, mapped_column, relationship\n")
    out.append("from app.db import Base\n\n")
    out.append(f"class {cls}(Base):")
    out.append(f'    __tablename__ = "{domain}s"\n')
    out.append("    id: Mapped[int] = mapped_column(Integer, primary_key=True)")
    for name, kind in fields:
        out.append(f"    {name}: Mapped[{kind}] = mapped_column({_SQL_TYPES[kind]})")
    out.append("    created_at: Mapped[datetime] = mapped_column(DateTime)")
    out.append(f'    items: Mapped[list["{cls}Item"]] = relationship(back_populates="parent")\n')
    out.append("    def __repr__(self) -> str:")
    out.append(f'        return f"<{cls} {{self.id}}>"\n\n')
    out.append(f"class {cls}Item(Base):")
    out.append(f'    __tablename__ = "{domain}_items"\n')
    out.append("    id: Mapped[int] = mapped_column(Integer, primary_key=True)")
    out.append(f'    parent_id: Mapped[int] = mapped_column(ForeignKey("{domain}s.id"))')
    out.append("    label: Mapped[str] = mapped_column(String(80))")
    out.append(f'    parent: Mapped[{cls}] = relationship(back_populates="items")')
    return "\n".join(out) + "\n"


def schemas(domain: str, cls: str, fields: list[tuple[str, str]]) -> str:
    out = [HEADER.format(title="API schemas", domain=domain)]
    out.append("from pydantic import BaseModel, Field\n\n")
    out.append(f"class {cls}In(BaseModel):")
    for name, kind in fields:
        bound = ", max_length=120" if kind == "str" else ""
        out.append(f"    {name}: {kind} = Field(...{bound})")
    out.append(f"\n\nclass {cls}Out({cls}In):")
    out.append("    id: int\n")
    out.append('    model_config = {"from_attributes": True}')
    return "\n".join(out) + "\n"


def _branchy(name: str, depth: int, typed: bool) -> list[str]:
    args = "value: int, limit: int" if typed else "value, limit"
    ret = " -> int" if typed else ""
    out = [f"def {name}({args}){ret}:", '    """Classify a value against a limit."""']
    out.append("    result = 0")
    for i in range(depth):
        out.append(f"    if value > limit * {i + 1}:")
        out.append(f"        result += {i}")
        out.append(f"    elif value == {i}:")
        out.append(f"        result -= {i}")
    out.append("    return result\n")
    return out


def services(
    domain: str, cls: str, fields: list[tuple[str, str]], rng: random.Random, pad: int
) -> str:
    out = [HEADER.format(title="Business logic", domain=domain)]
    flaws = rng.random()
    if flaws < 0.2:
        out.append("import os  # unused on purpose\n")
    out.append("from sqlalchemy import select, text")
    out.append("from sqlalchemy.orm import Session\n")
    out.append(f"from app.{domain}.models import {cls}")
    out.append(f"from app.{domain}.schemas import {cls}In\n\n")
    out.append(f"def list_{domain}s(db: Session, limit: int = 50) -> list[{cls}]:")
    out.append(f"    return list(db.scalars(select({cls}).limit(limit)))\n\n")
    out.append(f"def get_{domain}(db: Session, item_id: int) -> {cls} | None:")
    out.append(f"    return db.get({cls}, item_id)\n\n")
    out.append(f"def create_{domain}(db: Session, data: {cls}In) -> {cls}:")
    out.append(f"    row = {cls}(**data.model_dump())")
    out.append("    db.add(row)")
    out.append("    db.commit()")
    out.append("    db.refresh(row)")
    out.append("    return row\n\n")
    if flaws < 0.1:
        out.append(f"def search_{domain}s(db, term):")
        # The generated repo's deliberate SQL injection, for the analyzers to find.
        out.append(f'    query = f"SELECT * FROM {domain}s WHERE name = \'{{term}}\'"')  # noqa: S608
        out.append("    return db.execute(text(query)).fetchall()\n\n")
    if 0.1 <= flaws < 0.2:
        out.append(f"def tag_{domain}(db, item_id, tags=[]):")
        out.append("    try:")
        out.append(f"        row = db.get({cls}, item_id)")
        out.append("        tags.append(row.id)")
        out.append("    except:")
        out.append("        pass")
        out.append("    return tags\n\n")
    if 0.2 <= flaws < 0.3:
        out.append(f"def labels_of_all_{domain}s(db: Session) -> list[str]:")
        out.append("    labels = []")
        out.append(f"    for row in db.scalars(select({cls})):")
        out.append("        for item in row.items:")
        out.append("            labels.append(item.label)")
        out.append("    return labels\n\n")
    for i in range(pad):
        typed = rng.random() < 0.7
        depth = rng.randint(1, 12 if i % 5 == 0 else 4)
        out.extend(_branchy(f"score_{domain}_{i}", depth, typed))
        out.append("")
        field = rng.choice(fields)[0]
        out.append(f"def summarize_{domain}_{i}(rows: list[{cls}]) -> dict[str, object]:")
        out.append(f'    """Totals of `{field}` over the rows."""')
        out.append("    seen: dict[str, object] = {}")
        out.append("    for row in rows:")
        out.append(f"        key = str(row.{field})")
        out.append("        seen[key] = seen.get(key, 0)")
        out.append("    return seen\n\n")
    return "\n".join(out) + "\n"


def routes(domain: str, cls: str) -> str:
    out = [HEADER.format(title="HTTP routes", domain=domain)]
    out.append("from fastapi import APIRouter, Depends, HTTPException")
    out.append("from sqlalchemy.orm import Session\n")
    out.append("from app.db import get_db")
    out.append(f"from app.{domain} import services")
    out.append(f"from app.{domain}.schemas import {cls}In, {cls}Out\n")
    out.append(f'router = APIRouter(prefix="/{domain}s", tags=["{domain}"])\n\n')
    out.append(f'@router.get("/", response_model=list[{cls}Out])')
    out.append(f"def list_{domain}s(limit: int = 50, db: Session = Depends(get_db)):")
    out.append(f"    return services.list_{domain}s(db, limit)\n\n")
    out.append(f'@router.get("/{{item_id}}", response_model={cls}Out)')
    out.append(f"def get_{domain}(item_id: int, db: Session = Depends(get_db)):")
    out.append(f"    row = services.get_{domain}(db, item_id)")
    out.append("    if row is None:")
    out.append(f'        raise HTTPException(status_code=404, detail="{domain} not found")')
    out.append("    return row\n\n")
    out.append(f'@router.post("/", response_model={cls}Out, status_code=201)')
    out.append(f"def create_{domain}(data: {cls}In, db: Session = Depends(get_db)):")
    out.append(f"    return services.create_{domain}(db, data)")
    return "\n".join(out) + "\n"


def tests(domain: str, fields: list[tuple[str, str]], rng: random.Random) -> str:
    sample = {"str": '"x"', "int": "1", "float": "1.5", "bool": "True"}
    body = ", ".join(f'"{name}": {sample[kind]}' for name, kind in fields)
    out = [HEADER.format(title="Tests", domain=domain)]
    out.append("from fastapi.testclient import TestClient\n")
    out.append("from app.main import app\n")
    out.append("client = TestClient(app)\n\n")
    out.append(f"def test_create_and_get_{domain}() -> None:")
    out.append(f'    created = client.post("/{domain}s/", json={{{body}}})')
    out.append("    assert created.status_code == 201")
    out.append(f'    fetched = client.get(f"/{domain}s/{{created.json()[\'id\']}}")')
    out.append("    assert fetched.status_code == 200\n\n")
    out.append(f"def test_missing_{domain}_is_404() -> None:")
    out.append(f'    assert client.get("/{domain}s/999999").status_code == 404')
    return "\n".join(out) + "\n"


FIXED = {
    "app/__init__.py": "",
    "app/db.py": '''"""Database engine and session."""

from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

DATABASE_URL = "postgresql://app:hunter2@localhost/app"
engine = create_engine(DATABASE_URL)
SessionLocal = sessionmaker(engine)


class Base(DeclarativeBase):
    pass


def get_db() -> Iterator[Session]:
    with SessionLocal() as db:
        yield db
''',
    "requirements.txt": "fastapi==0.115.0\nsqlalchemy==2.0.35\npydantic==2.9.2\npytest==8.3.3\n",
    "README.md": (
        "# Generated shop API\n\nA FastAPI + SQLAlchemy service made by bench/make_repo.py.\n"
    ),
    ".gitignore": "__pycache__/\n.venv/\n*.db\n",
}


def generate(lines: int, out: Path, seed: int) -> int:
    """Write the repo's files under `out`; return the number of lines written."""
    rng = random.Random(seed)  # noqa: S311 (seeded on purpose: the same repo every time)
    files = dict(FIXED)
    written = sum(text.count("\n") for text in files.values())
    domains: list[str] = []
    index = 0
    while written < lines:
        domain = f"{WORDS[index % len(WORDS)]}{index // len(WORDS) or ''}"
        cls = domain.capitalize()
        fields = _fields(rng)
        pad = rng.randint(4, 16)
        parts = {
            f"app/{domain}/__init__.py": "",
            f"app/{domain}/models.py": models(domain, cls, fields, rng),
            f"app/{domain}/schemas.py": schemas(domain, cls, fields),
            f"app/{domain}/services.py": services(domain, cls, fields, rng, pad),
            f"app/{domain}/routes.py": routes(domain, cls),
            f"tests/test_{domain}.py": tests(domain, fields, rng),
        }
        files.update(parts)
        written += sum(text.count("\n") for text in parts.values())
        domains.append(domain)
        index += 1
    imports = "\n".join(f"from app.{d}.routes import router as {d}_router" for d in domains)
    mounts = "\n".join(f"app.include_router({d}_router)" for d in domains)
    files["app/main.py"] = (
        f'"""The application."""\n\nfrom fastapi import FastAPI\n\n{imports}\n\n'
        f'app = FastAPI(title="shop")\n{mounts}\n'
    )
    written += files["app/main.py"].count("\n")
    for path, text in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return written


def commit(out: Path) -> None:
    """One commit with fixed author, committer and dates: the same tree gives the same sha."""
    env = {
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(out),
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "shop"]):
        subprocess.run(["git", *args], cwd=out, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    written = generate(args.lines, args.out, args.seed)
    commit(args.out)
    print(f"{args.out}: {written:,} lines")


if __name__ == "__main__":
    main()
