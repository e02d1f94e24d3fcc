"""A learner's FastAPI repository with a pull request, built with GitPython for the Action tests.

`master` holds a small blog API with typical mistakes. The pull request's branch `changes`
adds `app/reports.py` with more of them (each line below is where a finding is expected),
and `fix_one` is the learner's next push: it fixes the MD5 call and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

AUTHOR = git.Actor("Ada Learner", "ada@example.com")

MAIN = '''\
import os
import sys
import json
import time
from typing import *

from fastapi import FastAPI

from app.db import get_connection

app = FastAPI()

SECRET = "hunter2-very-secret"


@app.get("/users")
def list_users(limit=10, filters={}):
    conn = get_connection()
    try:
        rows = conn.execute("SELECT * FROM users").fetchall()
    except:
        rows = []
    if filters == None:
        return []
    return rows


@app.get("/users/{user_id}")
def get_user(user_id):
    conn = get_connection()
    return conn.execute(f"SELECT * FROM users WHERE id = {user_id}").fetchone()


@app.post("/login")
def login(name, password):
    import hashlib
    digest = hashlib.md5(password.encode()).hexdigest()
    if digest == None:
        return {"ok": False}
    return {"ok": True, "token": SECRET}
'''

DB = '''\
import sqlite3
import os
import math
import uuid
import shutil
import pathlib
import decimal
import re
import random
import string
import collections


def get_connection():
    return sqlite3.connect("app.db")


def helper(a, b=[], c={}):
    if a == None:
        return b
    try:
        return c[a]
    except:
        pass
'''

REPORTS = '''\
import hashlib
import pickle
import subprocess
import itertools
import functools

from app.db import get_connection


def report_digest(rows):
    return hashlib.md5(str(rows).encode()).hexdigest()


def load_report(blob):
    return pickle.loads(blob)


def export_report(name, rows=[]):
    subprocess.call("zip " + name, shell=True)
    if rows == None:
        return None
    try:
        return eval(name)
    except:
        return None
'''

FIXED_REPORTS = REPORTS.replace(
    "hashlib.md5(str(rows).encode()).hexdigest()", "hashlib.sha256(str(rows).encode()).hexdigest()"
)


@dataclass(frozen=True)
class LearnerRepo:
    root: Path
    repo: git.Repo
    base: str
    head: str

    def patch_files(self, head: str | None = None) -> list[dict[str, object]]:
        """The pull request's files as `GET /pulls/{n}/files` lists them: one entry per
        changed file, with GitHub's hunk-only `patch`, diffed from the merge base."""
        head = head or self.head
        merge_base = self.repo.git.merge_base(self.base, head)
        files = []
        statuses = {"A": "added", "M": "modified", "D": "removed"}
        for line in self.repo.git.diff("--name-status", merge_base, head).splitlines():
            code, name = line.split("\t", 1)
            diff = self.repo.git.diff("-U3", merge_base, head, "--", name)
            patch = diff[diff.index("@@"):] if "@@" in diff else None
            added = sum(1 for t in (patch or "").splitlines() if t.startswith("+"))
            removed = sum(1 for t in (patch or "").splitlines() if t.startswith("-"))
            files.append({"filename": name, "status": statuses[code[0]], "additions": added,
                          "deletions": removed, "changes": added + removed, "patch": patch})
        return files

    def commit(self, message: str, files: dict[str, str]) -> str:
        for rel, content in files.items():
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        self.repo.index.add(list(files))
        return self.repo.index.commit(message, author=AUTHOR, committer=AUTHOR).hexsha


def build_learner_repo(root: Path) -> LearnerRepo:
    """master with the app; branch `changes` (checked out) adding app/reports.py."""
    repo = git.Repo.init(root, initial_branch="master")
    made = LearnerRepo(root, repo, "", "")
    base = made.commit("Blog API", {
        "requirements.txt": "fastapi\nuvicorn\n",
        "README.md": "# Blog API\n\nA small blog API.\n",
        "app/__init__.py": "",
        "app/main.py": MAIN,
        "app/db.py": DB,
    })
    repo.git.checkout("-b", "changes")
    head = made.commit("Reports", {"app/reports.py": REPORTS})
    return LearnerRepo(root, repo, base, head)
