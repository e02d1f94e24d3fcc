import os
import json
import time
from datetime import datetime

import requests
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import relationship

from auth import create_token, get_user_id_from_header
from config import APP_NAME, DEBUG, VERSION
from database import Base, engine, get_db
from schemas import LoginData, PasswordChange, PostCreate, UserCreate
from utils import *

app = FastAPI(title=APP_NAME, version=VERSION, debug=DEBUG)

app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)


############ MODELS ############


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    name = Column(String)
    email = Column(String)
    password = Column(String)
    is_admin = Column(Integer, default=0)
    created_at = Column(DateTime, default=datetime.now)

    posts = relationship("Post", back_populates="author")


class Post(Base):
    __tablename__ = "posts"

    id = Column(Integer, primary_key=True)
    title = Column(String)
    slug = Column(String)
    content = Column(Text)
    tags = Column(String)
    views = Column(Integer, default=0)
    author_id = Column(Integer, ForeignKey("users.id"))
    created_at = Column(DateTime, default=datetime.now)

    author = relationship("User", back_populates="posts")
    comments = relationship("Comment", back_populates="post")


class Comment(Base):
    __tablename__ = "comments"

    id = Column(Integer, primary_key=True)
    body = Column(Text)
    post_id = Column(Integer, ForeignKey("posts.id"))
    user_id = Column(Integer, ForeignKey("users.id"))
    created_at = Column(DateTime, default=datetime.now)

    post = relationship("Post", back_populates="comments")


Base.metadata.create_all(bind=engine)


############ HELPERS ############


def current_user(request):
    user_id = get_user_id_from_header(request.headers.get("Authorization"))
    if user_id == None:
        return None
    db = get_db()
    return db.query(User).filter(User.id == user_id).first()


def post_to_dict(post):
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "content": post.content,
        "tags": post.tags,
        "views": post.views,
        "reading_time": reading_time(post.content),
        "created": format_date(post.created_at),
    }


############ ROUTES ############


@app.get("/")
def home():
    return {"message": "Welcome to my blog API!!", "debug": DEBUG}


@app.post("/createUser")
def create_user(user: UserCreate):
    db = get_db()
    if not is_valid_email(user.email):
        return {"error": "invalid email"}
    existing = db.query(User).filter(User.email == user.email).first()
    if existing:
        return {"error": "User already exists"}
    new_user = User(name=user.name, email=user.email, password=user.password)
    db.add(new_user)
    db.commit()
    db.refresh(new_user)
    print("new user created:", new_user.email)
    return new_user


@app.post("/login")
def login(data: LoginData):
    db = get_db()
    user = db.query(User).filter(User.email == data.email).first()
    if user == None:
        return {"error": "wrong email or password"}
    if user.password != data.password and user.password != hash_password(data.password):
        return {"error": "wrong email or password"}
    token = create_token(user.id)
    print("login ok for", user.email, "token:", token)
    return {"token": token}


@app.get("/getUser/{user_id}")
def get_user(user_id: int):
    db = get_db()
    user = db.query(User).filter(User.id == user_id).first()
    if not user:
        return {"error": "user not found"}
    return user


@app.get("/getUsers")
def get_users():
    db = get_db()
    return db.query(User).all()


@app.post("/changePassword")
def change_password(data: PasswordChange, request: Request):
    user = current_user(request)
    if not user:
        return {"error": "not logged in"}
    if user.password != data.old_password and user.password != hash_password(data.old_password):
        return {"error": "wrong password"}
    db = get_db()
    db_user = db.query(User).filter(User.id == user.id).first()
    db_user.password = hash_password(data.new_password)
    db.commit()
    return {"message": "password changed"}


@app.get("/getPosts")
def get_posts():
    db = get_db()
    posts = db.query(Post).all()
    result = []
    for post in posts:
        item = post_to_dict(post)
        item["author"] = post.author.name
        item["comments"] = [c.body for c in post.comments]
        item["comment_count"] = len(post.comments)
        result.append(item)
    return result


@app.get("/getPost/{post_id}")
def get_post(post_id: int):
    db = get_db()
    post = db.query(Post).filter(Post.id == post_id).first()
    if post == None:
        return {"error": "Post not found"}
    post.views = post.views + 1
    db.commit()
    data = post_to_dict(post)
    data["author"] = post.author
    return data


@app.post("/createPost")
def create_post(post: PostCreate, request: Request):
    user = current_user(request)
    if not user:
        return {"error": "you must be logged in"}
    db = get_db()
    tags = parse_tags(post.tags or "")
    new_post = Post(
        title=post.title,
        slug=make_slug(post.title),
        content=post.content,
        tags=",".join(tags),
        author_id=user.id,
    )
    db.add(new_post)
    db.commit()
    db.refresh(new_post)
    print("post created", new_post.id)
    return post_to_dict(new_post)


@app.put("/updatePost/{post_id}")
def update_post(post_id: int, data: dict):
    db = get_db()
    post = db.query(Post).filter(Post.id == post_id).first()
    if not post:
        return {"error": "Post not found"}
    if "title" in data:
        post.title = data["title"]
        post.slug = make_slug(data["title"])
    if "content" in data:
        post.content = data["content"]
    try:
        post.tags = ",".join(data["tags"])
    except Exception:
        pass
    db.commit()
    return post_to_dict(post)


@app.delete("/deletePost/{post_id}")
def delete_post(post_id: int):
    db = get_db()
    post = db.query(Post).filter(Post.id == post_id).first()
    if not post:
        return {"error": "Post not found"}
    db.delete(post)
    db.commit()
    return {"message": "Post deleted successfully", "id": post_id}


@app.get("/search")
def search_posts(q: str):
    db = get_db()
    rows = db.execute(text(f"SELECT id, title FROM posts WHERE title LIKE '%{q}%'")).fetchall()
    return [{"id": row[0], "title": row[1]} for row in rows]


@app.post("/posts/{post_id}/addComment")
async def add_comment(post_id: int, request: Request):
    data = await request.json()
    db = get_db()
    comment = Comment(body=data["body"], post_id=post_id, user_id=data.get("user_id"))
    db.add(comment)
    db.commit()
    return {"message": "comment added", "id": comment.id}


@app.get("/users/stats")
def user_stats():
    db = get_db()
    users = db.query(User).all()
    stats = []
    for u in users:
        post_count = db.query(Post).filter(Post.author_id == u.id).count()
        comment_count = db.query(Comment).filter(Comment.user_id == u.id).count()
        views = sum(p.views for p in u.posts)
        badge = calculate_badge(u, post_count, comment_count, views, u.is_admin == 1)
        stats.append({"user": u.name, "posts": post_count, "comments": comment_count, "badge": badge})
    return stats


@app.get("/quote")
async def random_quote():
    r = requests.get("https://api.quotable.io/random")
    if r.status_code != 200:
        return {"error": "could not get quote"}
    data = r.json()
    return {"quote": data["content"], "author": data["author"]}


@app.post("/posts/{post_id}/summary")
async def summarize_post(post_id: int):
    db = get_db()
    post = db.query(Post).filter(Post.id == post_id).first()
    if not post:
        return {"error": "Post not found"}
    # openai rate limit, wait a bit
    time.sleep(2)
    summary = ask_openai("Summarize this blog post in 2 sentences:\n" + short_text(post.content, 3000))
    return {"post_id": post_id, "summary": summary}


def build_feed(user_id: int) -> list:
    db = get_db()
    posts = db.query(Post).filter(Post.author_id != user_id).order_by(Post.created_at.desc()).all()
    feed = []
    for p in posts:
        feed.append({"title": p.title, "by": p.author.name, "views": format_views(p.views)})
    total: int = str(len(feed))
    print("feed size", total)
    return feed


@app.get("/feed")
def feed(request: Request):
    user = current_user(request)
    if not user:
        return {"error": "not logged in"}
    return build_feed(user.id)


@app.get("/admin/posts_count/{user_id}")
def admin_posts_count(user_id):
    return {"user_id": user_id, "count": count_posts_raw(user_id)}
