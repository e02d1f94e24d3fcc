# helper functions for the blog
import hashlib
import os
import re
import sqlite3
from datetime import datetime
from typing import Optional

import requests

OPENAI_API_KEY = os.getenv("OPENAI_API_KEY")


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def make_slug(title: str) -> str:
    if not title:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
    return slug.strip("-")


def reading_time(text: str) -> int:
    words = len(text.split())
    return words / 200


def format_views(views: int) -> str:
    return "Views: " + views


def parse_tags(tag_string, tags=[]):
    for t in tag_string.split(","):
        t = t.strip().lower()
        if t and t not in tags:
            tags.append(t)
    return tags


def count_posts_raw(user_id):
    conn = sqlite3.connect("app.db")
    cur = conn.cursor()
    cur.execute(f"SELECT COUNT(*) FROM posts WHERE author_id = {user_id}")
    result = cur.fetchone()[0]
    return result


def ask_openai(prompt):
    try:
        response = requests.post(
            "https://api.openai.com/v1/chat/completions",
            headers={"Authorization": "Bearer " + OPENAI_API_KEY},
            json={
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": prompt}],
            },
        )
        data = response.json()
        return data["choices"][0]["message"]["content"]
    except:
        print("openai call failed!!!")
        return "Summary not available"


def calculate_badge(user, post_count, comment_count, total_views, is_admin=False):
    badge = "newbie"
    if is_admin:
        badge = "admin"
    elif post_count > 0:
        if post_count >= 50:
            if total_views > 100000:
                badge = "legend"
            elif total_views > 10000:
                badge = "star"
            else:
                badge = "veteran"
        elif post_count >= 20:
            if comment_count > 500:
                badge = "influencer"
            elif comment_count > 100:
                if total_views > 5000:
                    badge = "popular"
                else:
                    badge = "active"
            else:
                badge = "regular"
        elif post_count >= 5:
            if comment_count > 50 and total_views > 1000:
                badge = "rising"
            elif comment_count > 10 or total_views > 500:
                badge = "contributor"
            else:
                badge = "writer"
        else:
            if comment_count > 0:
                badge = "beginner"
            else:
                badge = "lurker"
    else:
        if comment_count > 100:
            badge = "commenter"
        elif comment_count > 10:
            badge = "reader"
    if user.email and user.email.endswith("@myblog.com"):
        badge = badge + "+"
    if user.created_at:
        days = (datetime.now() - user.created_at).days
        if days > 365:
            if badge != "newbie":
                badge = "senior " + badge
        elif days < 7:
            badge = "new " + badge
    return badge


def format_date(d):
    if d == None:
        return ""
    return d.strftime("%d/%m/%Y")


def short_text(text, length=100):
    if len(text) > length:
        return text[:length] + "..."
    return text


def is_valid_email(email):
    return "@" in email and "." in email
