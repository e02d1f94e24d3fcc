"""The route table: FastAPI, Flask and Django/DRF routes with their full paths, handlers,
status codes, response models and whether they are authenticated, read from the AST."""

from __future__ import annotations

from pathlib import Path

from reviewbot.analyzers.base import Analyzer, ScanContext
from reviewbot.analyzers.routes import RouteTable, extract_routes
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Fixture layouts: repo path -> fixture file (fixtures are `*.py.txt` so no tool reads them).
FASTAPI_LAYOUT = {
    "backend/app/__init__.py": "",
    "backend/app/main.py": "routes/fastapi_main.py.txt",
    "backend/app/admin.py": "routes/fastapi_admin.py.txt",
    "backend/app/api/__init__.py": "",
    "backend/app/api/v1/__init__.py": "",
    "backend/app/api/v1/api.py": "routes/fastapi_api.py.txt",
    "backend/app/api/v1/deps.py": "routes/fastapi_deps.py.txt",
    "backend/app/api/v1/routers/__init__.py": "",
    "backend/app/api/v1/routers/items.py": "routes/fastapi_items.py.txt",
    "backend/app/api/v1/routers/users.py": "routes/fastapi_users.py.txt",
    "backend/app/core/__init__.py": "",
    "backend/app/core/auth.py": "routes/fastapi_auth.py.txt",
}
DRF_LAYOUT = {
    "blogsite/__init__.py": "",
    "blogsite/settings.py": "api/drf_blog/settings.py.txt",
    "blogsite/urls.py": "api/drf_blog/urls.py.txt",
    "blog/__init__.py": "",
    "blog/urls.py": "api/drf_blog/blog_urls.py.txt",
    "blog/views.py": "api/drf_blog/blog_views.py.txt",
    "blog/models.py": "api/drf_blog/blog_models.py.txt",
    "blog/serializers.py": "api/drf_blog/blog_serializers.py.txt",
}
FLASK_LAYOUT = {
    "shop/__init__.py": "api/flask_shop/app_init.py.txt",
    "shop/models.py": "api/flask_shop/models.py.txt",
    "shop/auth.py": "api/flask_shop/auth.py.txt",
    "shop/products.py": "api/flask_shop/products.py.txt",
}

Row = tuple[str, str, str, str, int, bool | None]


def tree(layout: dict[str, str], **extra: str) -> dict[str, str]:
    """Files of a repo: fixture files by layout, plus inline ones."""
    files = {
        path: (FIXTURES / source).read_text(encoding="utf-8") if source else ""
        for path, source in layout.items()
    }
    return files | extra


def inventory(root: Path, files: dict[str, str]) -> Inventory:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return build_inventory(root, is_git=False)


def run(analyzer: Analyzer, root: Path, files: dict[str, str] | None = None) -> AnalyzerOutput:
    """Run one analyzer on an example folder, or on files written under `root`."""
    inv = inventory(root, files) if files is not None else build_inventory(root, is_git=False)
    ctx = ScanContext(inv, default_rulebook(), Settings(), root.parent, 60.0)
    return analyzer.run(ctx)


def rows(table: RouteTable) -> list[Row]:
    return [(r.method, r.path, r.handler, r.file, r.line, r.auth) for r in table]


def test_learner_example_routes_with_manual_auth_followed_across_modules() -> None:
    table = extract_routes(build_inventory(EXAMPLES / "learner-api", is_git=False))
    # `current_user(request)` reads the Authorization header through auth.py: protected.
    assert rows(table) == [
        ("GET", "/", "home", "main.py", 103, False),
        ("GET", "/admin/posts_count/{user_id}", "admin_posts_count", "main.py", 315, False),
        ("POST", "/changePassword", "change_password", "main.py", 152, True),
        ("POST", "/createPost", "create_post", "main.py", 193, True),
        ("POST", "/createUser", "create_user", "main.py", 108, False),
        ("DELETE", "/deletePost/{post_id}", "delete_post", "main.py", 233, False),
        ("GET", "/feed", "feed", "main.py", 307, True),
        ("GET", "/getPost/{post_id}", "get_post", "main.py", 180, False),
        ("GET", "/getPosts", "get_posts", "main.py", 166, False),
        ("GET", "/getUser/{user_id}", "get_user", "main.py", 137, False),
        ("GET", "/getUsers", "get_users", "main.py", 146, False),
        ("POST", "/login", "login", "main.py", 124, False),
        ("POST", "/posts/{post_id}/addComment", "add_comment", "main.py", 251, False),
        ("POST", "/posts/{post_id}/summary", "summarize_post", "main.py", 284, False),
        ("GET", "/quote", "random_quote", "main.py", 275, False),
        ("GET", "/search", "search_posts", "main.py", 244, False),
        ("PUT", "/updatePost/{post_id}", "update_post", "main.py", 214, False),
        ("GET", "/users/stats", "user_stats", "main.py", 261, False),
    ]
    bodies = {r.handler: r.body_type for r in table if r.body_type}
    assert bodies == {
        "change_password": "PasswordChange",
        "create_post": "PostCreate",
        "create_user": "UserCreate",
        "login": "LoginData",
        "add_comment": "Request",
        "update_post": "dict",
    }
    assert [(a.framework, a.file, a.line) for a in table.apps] == [("fastapi", "main.py", 18)]


def test_good_example_prefixes_dependencies_and_status_codes() -> None:
    table = extract_routes(build_inventory(EXAMPLES / "good-api", is_git=False))
    found = [(r.method, r.path, r.handler, r.auth, r.status_code, r.response_model) for r in table]
    assert found == [
        ("POST", "/api/v1/auth/token", "issue_token", False, None, "TokenResponse"),
        ("DELETE", "/api/v1/comments/{comment_id}", "delete_comment", True, 204, None),
        ("GET", "/api/v1/posts", "list_posts", False, None, "Page[PostRead]"),
        ("POST", "/api/v1/posts", "create_post", True, 201, "PostRead"),
        ("DELETE", "/api/v1/posts/{post_id}", "delete_post", True, 204, None),
        ("GET", "/api/v1/posts/{post_id}", "read_post", False, None, "PostDetail"),
        ("PATCH", "/api/v1/posts/{post_id}", "update_post", True, None, "PostRead"),
        (
            "GET",
            "/api/v1/posts/{post_id}/comments",
            "list_comments",
            False,
            None,
            "Page[CommentRead]",
        ),
        ("POST", "/api/v1/posts/{post_id}/comments", "create_comment", True, 201, "CommentRead"),
        ("GET", "/api/v1/quotes/random", "random_quote", False, None, "Quote"),
        ("POST", "/api/v1/users", "register_user", False, 201, "UserRead"),
        ("GET", "/api/v1/users/me", "read_current_user", True, None, "UserRead"),
        ("GET", "/api/v1/users/{user_id}", "read_user", False, None, "UserPublic"),
        ("GET", "/healthz", "healthz", False, None, "Health"),
    ]
    first = table.facts()[0]
    assert first == {
        "method": "POST",
        "path": "/api/v1/auth/token",
        "handler": "issue_token",
        "path_file": "app/api/v1/routers/auth.py",
        "line": 20,
        "auth": False,
        "status_code": None,
        "response_model": "TokenResponse",
    }


def test_fastapi_routers_resolved_through_imports_aliases_and_dependencies(tmp_path: Path) -> None:
    table = extract_routes(inventory(tmp_path, tree(FASTAPI_LAYOUT)))
    found = [
        (r.method, r.path, r.handler, r.file, r.line, r.auth, r.status_code, r.body_type)
        for r in table
    ]
    items = "backend/app/api/v1/routers/items.py"
    users = "backend/app/api/v1/routers/users.py"
    assert found == [
        # include_router(..., dependencies=[Depends(verify_api_key)]): a Header credential
        ("POST", "/admin/reindex", "reindex", "backend/app/admin.py", 6, True, None, None),
        # APIRouter(prefix="/items", dependencies=[Depends(get_current_user)])
        ("GET", "/api/v1/items/", "list_items", items, 9, True, None, None),
        ("POST", "/api/v1/items/", "create_item", items, 14, True, 201, "ItemIn"),
        ("PATCH", "/api/v1/items/{item_id}", "replace_item", items, 19, True, None, "ItemIn"),
        ("PUT", "/api/v1/items/{item_id}", "replace_item", items, 19, True, None, "ItemIn"),
        # `payload: dict` is the body; nothing protects registration
        ("POST", "/api/v1/users", "register", users, 15, False, None, "dict"),
        # `CurrentUser`, an Annotated alias imported relatively from ..deps
        ("GET", "/api/v1/users/me", "me", users, 10, True, None, None),
        # `token: str = Depends(oauth2_scheme)` and `status.HTTP_204_NO_CONTENT`
        ("DELETE", "/api/v1/users/{user_id}", "delete_user", users, 20, True, 204, None),
    ]
    assert [(a.file, a.line) for a in table.apps] == [("backend/app/main.py", 9)]


def test_flask_blueprints_prefixes_and_jwt_decorators(tmp_path: Path) -> None:
    table = extract_routes(inventory(tmp_path, tree(FLASK_LAYOUT)))
    assert rows(table) == [
        ("GET", "/api/v1/products/", "list_products", "shop/products.py", 10, False),
        ("POST", "/api/v1/products/", "create_product", "shop/products.py", 16, True),
        (
            "DELETE",
            "/api/v1/products/{product_id}",
            "delete_product",
            "shop/products.py",
            34,
            False,
        ),
        ("GET", "/api/v1/products/{product_id}", "get_product", "shop/products.py", 26, False),
        ("POST", "/auth/login", "login", "shop/auth.py", 20, False),
        ("POST", "/auth/register", "register", "shop/auth.py", 11, False),
    ]
    assert [(a.framework, a.file, a.line) for a in table.apps] == [("flask", "shop/__init__.py", 8)]


def test_flask_restful_resources_method_views_and_guarded_blueprints(tmp_path: Path) -> None:
    files = tree({"app.py": "routes/flask_restful.py.txt"})
    table = extract_routes(inventory(tmp_path, files))
    assert [(r.method, r.path, r.handler, r.line, r.auth) for r in table] == [
        # `@admin.before_request` checks `current_user.is_authenticated`
        ("DELETE", "/admin/users/{user_id}", "delete_user", 36, True),
        ("GET", "/api/todos", "TodoList.get", 45, False),
        ("POST", "/api/todos", "TodoList.post", 45, False),
        # `method_decorators = [login_required]`
        ("DELETE", "/api/todos/{todo_id}", "TodoItem.delete", 46, True),
        ("GET", "/health", "health", 48, False),
        ("GET", "/reports", "ReportView.get", 47, False),
    ]


def test_django_urls_includes_drf_routers_viewsets_and_permissions(tmp_path: Path) -> None:
    table = extract_routes(inventory(tmp_path, tree(DRF_LAYOUT)))
    found = [
        (
            r.method,
            r.path,
            r.handler,
            r.framework,
            r.file,
            r.line,
            r.handler_line,
            r.auth,
            r.status_code,
        )
        for r in table
    ]
    urls = "blog/urls.py"
    assert found == [
        (
            "GET",
            "/api/getComments/{post_id}/",
            "CommentList.list",
            "drf",
            urls,
            12,
            37,
            False,
            None,
        ),
        # an overridden `create` answers what its code says, not DRF's default 201
        (
            "POST",
            "/api/getComments/{post_id}/",
            "CommentList.create",
            "drf",
            urls,
            12,
            43,
            False,
            None,
        ),
        # IsAuthenticatedOrReadOnly: reads are public, writes need a login
        ("GET", "/api/posts/", "PostViewSet.list", "drf", urls, 7, 13, False, None),
        ("POST", "/api/posts/", "PostViewSet.create", "drf", urls, 7, 13, True, 201),
        ("DELETE", "/api/posts/{pk}/", "PostViewSet.destroy", "drf", urls, 7, 13, True, 204),
        ("GET", "/api/posts/{pk}/", "PostViewSet.retrieve", "drf", urls, 7, 13, False, None),
        ("PATCH", "/api/posts/{pk}/", "PostViewSet.partial_update", "drf", urls, 7, 13, True, None),
        ("PUT", "/api/posts/{pk}/", "PostViewSet.update", "drf", urls, 7, 13, True, None),
        # @action(detail=True, methods=["post"])
        ("POST", "/api/posts/{pk}/publish/", "PostViewSet.publish", "drf", urls, 7, 19, True, None),
        # @login_required function view answering GET and (request.method == "POST") POST
        ("GET", "/api/profile/", "profile", "django", urls, 13, 52, True, None),
        ("POST", "/api/profile/", "profile", "django", urls, 13, 52, True, None),
        ("GET", "/api/stats/", "stats", "django", urls, 14, 60, False, None),
        ("GET", "/api/tags/", "TagViewSet.list", "drf", urls, 9, 31, False, None),
        ("GET", "/api/tags/{pk}/", "TagViewSet.retrieve", "drf", urls, 9, 31, False, None),
        # no permission_classes and no DEFAULT_PERMISSION_CLASSES: DRF's AllowAny
        ("GET", "/api/users/", "UserViewSet.list", "drf", urls, 8, 26, False, None),
        ("POST", "/api/users/", "UserViewSet.create", "drf", urls, 8, 26, False, 201),
        ("DELETE", "/api/users/{pk}/", "UserViewSet.destroy", "drf", urls, 8, 26, False, 204),
        ("GET", "/api/users/{pk}/", "UserViewSet.retrieve", "drf", urls, 8, 26, False, None),
        (
            "PATCH",
            "/api/users/{pk}/",
            "UserViewSet.partial_update",
            "drf",
            urls,
            8,
            26,
            False,
            None,
        ),
        ("PUT", "/api/users/{pk}/", "UserViewSet.update", "drf", urls, 8, 26, False, None),
    ]
    assert [(a.framework, a.file, a.line) for a in table.apps] == [
        ("django", "blogsite/urls.py", 4)
    ]


def test_drf_default_permissions_middleware_and_generic_views(tmp_path: Path) -> None:
    settings = (
        'ROOT_URLCONF = "site.urls"\n'
        "REST_FRAMEWORK = {\n"
        '    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],\n'
        '    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",\n'
        "}\n"
    )
    urls = (
        "from django.urls import path, re_path\n"
        "from rest_framework.routers import SimpleRouter\n"
        "from notes import views\n\n"
        "router = SimpleRouter(trailing_slash=False)\n"
        'router.register("notes", views.NoteViewSet)\n\n'
        "urlpatterns = [\n"
        '    re_path(r"^v1/tags/(?P<slug>[-\\w]+)/$", views.TagDetail.as_view()),\n'
        '    path("v1/open/", views.OpenList.as_view()),\n'
        "] + router.urls\n"
    )
    views = (
        "from rest_framework import generics, permissions, viewsets\n\n\n"
        "class NoteViewSet(viewsets.ModelViewSet):\n"
        '    lookup_field = "uuid"\n\n\n'
        "class TagDetail(generics.RetrieveDestroyAPIView):\n"
        "    pass\n\n\n"
        "class OpenList(generics.ListCreateAPIView):\n"
        "    permission_classes = [permissions.AllowAny]\n"
    )
    files = {"site/settings.py": settings, "site/urls.py": urls, "notes/views.py": views}
    table = extract_routes(inventory(tmp_path, files))
    assert [(r.method, r.path, r.handler, r.auth) for r in table] == [
        ("GET", "/notes", "NoteViewSet.list", True),
        ("POST", "/notes", "NoteViewSet.create", True),
        ("DELETE", "/notes/{uuid}", "NoteViewSet.destroy", True),
        ("GET", "/notes/{uuid}", "NoteViewSet.retrieve", True),
        ("PATCH", "/notes/{uuid}", "NoteViewSet.partial_update", True),
        ("PUT", "/notes/{uuid}", "NoteViewSet.update", True),
        ("GET", "/v1/open/", "OpenList.list", False),
        ("POST", "/v1/open/", "OpenList.create", False),
        ("DELETE", "/v1/tags/{slug}/", "TagDetail.destroy", True),
        ("GET", "/v1/tags/{slug}/", "TagDetail.retrieve", True),
    ]
    assert table.drf_default_permissions == ("IsAuthenticated",)
    assert table.drf_default_pagination is True


def test_django_login_required_middleware_and_wrapped_views(tmp_path: Path) -> None:
    files = {
        "proj/settings.py": (
            'ROOT_URLCONF = "proj.urls"\n'
            'MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]\n'
        ),
        "proj/urls.py": (
            "from django.urls import include, path\n"
            "urlpatterns = [path('shop/', include(('shop.urls', 'shop'), namespace='shop'))]\n"
        ),
        "shop/urls.py": (
            "from django.urls import path\n"
            "from django.contrib.auth.decorators import login_required\n"
            "from . import views\n"
            "urlpatterns = [\n"
            "    path('', views.ProductList.as_view()),\n"
            "    path('<int:pk>/edit/', login_required(views.edit)),\n"
            "]\n"
        ),
        "shop/views.py": (
            "from django.views.generic import ListView\n\n"
            "class ProductList(ListView):\n    pass\n\n"
            "def edit(request, pk):\n    pass\n"
        ),
    }
    table = extract_routes(inventory(tmp_path, files))
    assert [(r.method, r.path, r.handler, r.framework, r.auth) for r in table] == [
        ("GET", "/shop/", "ProductList.get", "django", True),
        ("GET", "/shop/{pk}/edit/", "edit", "django", True),
    ]


def test_no_web_app_means_an_empty_table_built_once(tmp_path: Path) -> None:
    inv = inventory(tmp_path, {"tool.py": "def main() -> None:\n    print('hi')\n"})
    table = extract_routes(inv)
    assert table.routes == ()
    assert table.facts() == []
    assert extract_routes(inv) is table


def test_odd_code_is_read_without_failing(tmp_path: Path) -> None:
    files = {
        # routers that include each other, paths that are not literals, a factory's router
        "a.py": (
            "from b import r2\nfrom fastapi import APIRouter, FastAPI\n"
            "r1 = APIRouter(prefix='/a')\nr1.include_router(r2)\napp = FastAPI()\n"
            "app.include_router(r1)\napp.include_router(make())\n"
            "@r1.get(f'/x/{1}')\ndef f(): ...\n@r1.get(PATH)\ndef g(): ...\n"
            "@r1.api_route('/m', methods=METHODS)\ndef h(*args, **kw): ...\n"
        ),
        "b.py": (
            "from a import r1\nfrom fastapi import APIRouter\nr2 = APIRouter(prefix='/b')\n"
            "r2.include_router(r1)\n@r2.post('/loop', response_model=None)\n"
            "def loop(payload: dict = Body(...)): ...\n"
        ),
        # classes deriving from each other, URLconfs built in comprehensions and lambdas
        "views.py": (
            "from rest_framework import viewsets\nclass A(B): ...\nclass B(A): ...\n"
            "class V(viewsets.ModelViewSet, V):\n    permission_classes = perms()\n"
        ),
        "urls.py": (
            "from django.urls import include, path\nfrom rest_framework.routers import "
            "DefaultRouter\nfrom views import V\nrouter = DefaultRouter()\n"
            "router.register(PREFIX, V)\nrouter.register('w', Unknown)\n"
            "urlpatterns = [path('x', v) for v in views]\n"
            "urlpatterns += [path('l', lambda r: None), path(p, include(mods)), "
            "path('i/', include(['a'])), path('y/', include('urls'))]\n"
            "urlpatterns += router.urls\n"
        ),
        "f.py": (
            "from flask import Blueprint, Flask\napp = Flask(__name__)\n"
            "bp = Blueprint('b', __name__)\nbp.register_blueprint(bp)\n"
            "app.register_blueprint(bp, url_prefix=P)\napp.add_url_rule('/r')\n"
            "app.add_url_rule(R, view_func=q)\n"
        ),
    }
    table = extract_routes(inventory(tmp_path, files))
    assert [(r.method, r.path, r.handler, r.response_model, r.body_type) for r in table] == [
        ("GET", "/a/m", "h", None, None),
        ("GET", "/b/a/m", "h", None, None),
        ("POST", "/b/loop", "loop", None, "dict"),
    ]
