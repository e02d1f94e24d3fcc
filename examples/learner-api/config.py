# app settings
APP_NAME = "My Blog API"
VERSION = "0.1"

DEBUG = True

DATABASE_URL = "sqlite:///./app.db"
# DATABASE_URL = "postgres://bloguser:bl0gpass2024@blog-db.internal.example:5432/blog_prod"

ADMIN_EMAIL = "admin@myblog.com"
POSTS_PER_PAGE = 10
