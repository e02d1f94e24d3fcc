"""REST design (C10) and validation/response models (C11): exact findings on the examples and
on FastAPI, Flask and Django/DRF fixtures; the correct versions stay silent."""

from __future__ import annotations

from pathlib import Path

from reviewbot.analyzers import api_design
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from tests.heuristics.test_routes import DRF_LAYOUT, EXAMPLES, FLASK_LAYOUT, run, tree

ANALYZER = api_design.ANALYZER
FASTAPI_GOOD = {
    "app/__init__.py": "",
    "app/main.py": "api/fastapi_good.py.txt",
    "app/models.py": "api/fastapi_models.py.txt",
}
FASTAPI_BAD = {
    "app/__init__.py": "",
    "app/main.py": "api/fastapi_bad.py.txt",
    "app/models.py": "api/fastapi_models.py.txt",
}

Row = tuple[str, str, int | None]


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line) for f in output.findings]


def messages(output: AnalyzerOutput) -> dict[tuple[str, int | None], str]:
    return {(f.rule, f.line): f.message for f in output.findings}


def test_learner_example_planted_rest_and_validation_mistakes() -> None:
    output = run(ANALYZER, EXAMPLES / "learner-api")
    # examples/learner-api/EXAMPLE.md, rows C10 and C11, in file order
    assert rows(output) == [
        ("RB1006", "main.py", 18),  # no /api/v1 prefix, once for the app
        ("RB1001", "main.py", 108),
        ("RB1003", "main.py", 108),
        ("RB1005", "main.py", 112),
        ("RB1005", "main.py", 115),
        ("RB1103", "main.py", 121),
        ("RB1005", "main.py", 129),
        ("RB1005", "main.py", 131),
        ("RB1001", "main.py", 137),
        ("RB1005", "main.py", 142),
        ("RB1103", "main.py", 143),
        ("RB1001", "main.py", 146),
        ("RB1007", "main.py", 147),
        ("RB1103", "main.py", 149),
        ("RB1001", "main.py", 152),
        ("RB1005", "main.py", 156),
        ("RB1005", "main.py", 158),
        ("RB1001", "main.py", 166),
        ("RB1007", "main.py", 167),
        ("RB1001", "main.py", 180),
        ("RB1005", "main.py", 185),
        ("RB1103", "main.py", 189),
        ("RB1001", "main.py", 193),
        ("RB1003", "main.py", 193),
        ("RB1005", "main.py", 197),
        ("RB1001", "main.py", 214),
        ("RB1101", "main.py", 215),
        ("RB1005", "main.py", 219),
        ("RB1001", "main.py", 233),
        ("RB1005", "main.py", 238),
        ("RB1004", "main.py", 241),
        ("RB1001", "main.py", 251),
        ("RB1003", "main.py", 251),
        ("RB1102", "main.py", 253),  # `request: Request` (252) read with request.json() (253)
        ("RB1007", "main.py", 262),
        ("RB1005", "main.py", 279),
        ("RB1005", "main.py", 289),
        ("RB1005", "main.py", 311),
    ]
    said = messages(output)
    assert said[("RB1006", 18)] == (
        "None of the 16 API routes is under a version prefix: mount them under `/api/v1` "
        '(`app.include_router(router, prefix="/api/v1")`) so the API can change later without '
        "breaking its clients."
    )
    assert said[("RB1001", 251)] == (
        "`POST /posts/{post_id}/addComment` puts the verb `add` in the path: the HTTP method "
        "already says it; name the resource instead (`POST /posts/{post_id}/comments`)."
    )
    assert said[("RB1003", 108)] == (
        "`POST /createUser` creates a resource but answers 200: declare `status_code=201` "
        "(`status.HTTP_201_CREATED`) on the decorator."
    )
    assert said[("RB1004", 241)] == (
        "`DELETE /deletePost/{post_id}` answers 200 with a body after deleting: answer "
        "`204 No Content` without a body (`status_code=204` on the decorator)."
    )
    assert said[("RB1005", 142)] == (
        '`GET /getUser/{user_id}` returns an error (`{"error": "user not found"}`) with status '
        "200: raise `HTTPException(status_code=404, detail=...)` so clients see the failure."
    )
    assert said[("RB1005", 115)].endswith(
        "`HTTPException(status_code=409, detail=...)` so clients see the failure."
    )
    assert said[("RB1005", 279)].endswith(
        "`HTTPException(status_code=502, detail=...)` so clients see the failure."
    )
    assert said[("RB1007", 147)] == (
        "`GET /getUsers` returns every row (`.all()` at line 149) with no limit: take "
        "`limit`/`offset` (or `page`) query parameters and apply them to the query."
    )
    assert said[("RB1101", 215)] == (
        "`update_post` takes its body as a plain `dict`: declare a Pydantic model "
        "(`class PostUpdate(BaseModel): ...`) so FastAPI validates and documents it."
    )
    assert said[("RB1102", 253)] == (
        "`add_comment` reads the request body with `await request.json()` (`request: Request` at "
        "line 252) and uses it unchecked: declare a Pydantic model parameter instead "
        "(`comment: CommentCreate`) and FastAPI validates it."
    )
    assert said[("RB1103", 149)] == (
        "`GET /getUsers` returns every `User` ORM object, `password` included: declare a "
        "`response_model` without it (e.g. `response_model=UserOut`)."
    )
    assert said[("RB1103", 189)] == (
        "`GET /getPost/{post_id}` puts the `User` ORM object `post.author` in its response, "
        "`password` included: send only public fields (a `response_model` such as `UserOut`)."
    )
    assert output.facts["api_routes"] == 18
    assert output.facts["typed_response_share"] == 0.0
    assert output.facts["typed_body_share"] == 0.571
    assert len(output.facts["routes"]) == 18


def test_good_example_is_silent_and_fully_typed() -> None:
    output = run(ANALYZER, EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["typed_response_share"] == 1.0
    assert output.facts["typed_body_share"] == 1.0
    assert [(r["method"], r["path"]) for r in output.facts["routes"]][:3] == [
        ("POST", "/api/v1/auth/token"),
        ("DELETE", "/api/v1/comments/{comment_id}"),
        ("GET", "/api/v1/posts"),
    ]


def test_fastapi_correct_versions_stay_silent(tmp_path: Path) -> None:
    # 201/204, HTTPException, a status set on the response, JSONResponse with an error status,
    # skip/limit, .limit(), slices, Page models, Pydantic bodies, a validated request.json(),
    # response models without the password hash (or with it as a SecretStr), /auth/login,
    # /search and /publish actions, an `"error": None` envelope.
    output = run(ANALYZER, tmp_path / "repo", tree(FASTAPI_GOOD))
    assert rows(output) == []
    assert output.facts["typed_response_share"] == 0.818


def test_fastapi_mistakes_beyond_the_learner_example(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", tree(FASTAPI_BAD))
    assert rows(output) == [
        ("RB1103", "app/main.py", 13),  # UserOut.hashed_password, inherited by Account
        ("RB1006", "app/main.py", 20),
        ("RB1002", "app/main.py", 23),
        ("RB1007", "app/main.py", 29),  # response_model=list[...] of .all()
        ("RB1005", "app/main.py", 37),  # JSONResponse(content=...) without status_code
        ("RB1103", "app/main.py", 38),  # {"author": post.author} -> the User row
        ("RB1001", "app/main.py", 41),
        ("RB1005", "app/main.py", 43),
        ("RB1103", "app/main.py", 49),  # a "password" key in the returned dict
    ]
    said = messages(output)
    assert said[("RB1103", 13)] == (
        "`UserOut.hashed_password` is sent to clients by `GET /accounts` (response model "
        "`Account`): remove it from the response schema and keep it on the input model."
    )
    assert said[("RB1002", 23)] == (
        "`GET /user/{user_id}`: collections are plural by convention (`/users/{user_id}`)."
    )
    assert said[("RB1001", 41)] == (
        "`POST /posts/{post_id}/delete` puts the verb `delete` in the path: the HTTP method "
        "already says it; name the resource instead (`DELETE /posts/{post_id}`)."
    )
    assert said[("RB1103", 49)] == (
        "`GET /me` sends `password` to the client: leave it out of the response."
    )


def test_drf_serializers_viewsets_and_function_views(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", tree(DRF_LAYOUT))
    assert rows(output) == [
        ("RB1103", "blog/serializers.py", 9),  # fields = "__all__" on AbstractUser
        ("RB1001", "blog/urls.py", 12),
        ("RB1007", "blog/views.py", 13),
        ("RB1007", "blog/views.py", 26),
        ("RB1007", "blog/views.py", 31),  # pagination_class = None
        ("RB1102", "blog/views.py", 44),
        ("RB1005", "blog/views.py", 46),
        ("RB1102", "blog/views.py", 54),
        ("RB1006", "blogsite/urls.py", 4),
    ]
    said = messages(output)
    assert said[("RB1103", 9)] == (
        '`UserSerializer` uses `fields = "__all__"` on a user model: `password` (its hash) goes '
        "out in every response; list the public fields, or mark it write-only "
        '(`extra_kwargs = {"password": {"write_only": True}}`).'
    )
    assert said[("RB1001", 12)] == (
        "`GET /api/getComments/{post_id}/` puts the verb `get` in the path: the HTTP method "
        "already says it; name the resource instead (`GET /api/comments/{post_id}/`)."
    )
    assert said[("RB1007", 13)] == (
        "`PostViewSet` lists every row at `GET /api/posts/`: set `pagination_class` on the view "
        "or `DEFAULT_PAGINATION_CLASS` in `REST_FRAMEWORK` settings."
    )
    assert said[("RB1102", 44)] == (
        "`CommentList.create` reads the request body with `request.data` and uses it unchecked: "
        "pass it through the serializer (`CommentSerializer(data=request.data)` and "
        "`is_valid(raise_exception=True)`)."
    )
    assert said[("RB1005", 46)] == (
        '`POST /api/getComments/{post_id}/` returns an error (`{"error": "text is required"}`) '
        "with status 200: pass the status (`Response({...}, status=400)`)."
    )
    assert said[("RB1102", 54)] == (
        "`profile` reads the request body with `json.loads(request.body)` and uses it "
        "unchecked: validate it with a Django `Form` or a schema before using it."
    )


def test_drf_with_pagination_write_only_password_and_serializers_is_silent(
    tmp_path: Path,
) -> None:
    files = tree(DRF_LAYOUT)
    files["blogsite/settings.py"] = files["blogsite/settings.py"].replace(
        "REST_FRAMEWORK = {",
        'REST_FRAMEWORK = {\n    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.X",',
    )
    files["blog/serializers.py"] = files["blog/serializers.py"].replace(
        '        fields = "__all__"\n\n\nclass RegisterSerializer',
        '        fields = ["id", "username"]\n\n\nclass RegisterSerializer',
    )
    output = run(ANALYZER, tmp_path / "repo", files)
    assert [r for r in rows(output) if r[0] in ("RB1103", "RB1007")] == [
        ("RB1007", "blog/views.py", 31),  # pagination_class = None still opts out
    ]


def test_flask_json_api(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", tree(FLASK_LAYOUT))
    assert rows(output) == [
        ("RB1102", "shop/auth.py", 13),
        ("RB1102", "shop/auth.py", 22),
        ("RB1007", "shop/products.py", 11),
        ("RB1003", "shop/products.py", 16),
        ("RB1102", "shop/products.py", 19),
        ("RB1005", "shop/products.py", 30),
        ("RB1004", "shop/products.py", 39),
    ]
    said = messages(output)
    assert said[("RB1003", 16)] == (
        "`POST /api/v1/products/` creates a resource but answers 200: return the new resource "
        "with `201` (`return jsonify(item), 201`)."
    )
    assert said[("RB1005", 30)] == (
        '`GET /api/v1/products/{product_id}` returns an error (`{"message": "Product not '
        'found"}`) with status 200: return it with its status (`return jsonify(error=...), 404`).'
    )
    assert said[("RB1004", 39)] == (
        "`DELETE /api/v1/products/{product_id}` answers 200 with a body after deleting: answer "
        "`204 No Content` without a body (`return '', 204`)."
    )
    assert said[("RB1102", 19)] == (
        "`create_product` reads the request body with `request.get_json()` and uses it "
        "unchecked: validate it with a schema first (Pydantic `Model.model_validate(data)` or "
        "marshmallow `Schema().load(data)`)."
    )


def test_flask_with_schemas_statuses_and_pagination_is_silent(tmp_path: Path) -> None:
    app = (
        "from flask import Flask, jsonify, request\n"
        "from .schemas import ProductSchema\n"
        "from .models import Product, db\n\n"
        "app = Flask(__name__)\n"
        "schema = ProductSchema()\n\n\n"
        '@app.get("/api/v1/products")\n'
        "def list_products():\n"
        '    page = request.args.get("page", 1, type=int)\n'
        "    return jsonify(schema.dump(Product.query.paginate(page=page).items, many=True))\n\n\n"
        '@app.post("/api/v1/products")\n'
        "def create_product():\n"
        "    data = schema.load(request.get_json())\n"
        "    product = Product(**data)\n"
        "    db.session.add(product)\n"
        "    return jsonify(schema.dump(product)), 201\n\n\n"
        '@app.get("/api/v1/products/<int:product_id>")\n'
        "def get_product(product_id):\n"
        "    product = db.session.get(Product, product_id)\n"
        "    if product is None:\n"
        '        return jsonify(error="not found"), 404\n'
        "    return jsonify(schema.dump(product))\n\n\n"
        '@app.delete("/api/v1/products/<int:product_id>")\n'
        "def delete_product(product_id):\n"
        "    db.session.delete(db.get_or_404(Product, product_id))\n"
        '    return "", 204\n'
    )
    output = run(ANALYZER, tmp_path / "repo", {"shop/app.py": app})
    assert rows(output) == []
    assert output.facts["typed_response_share"] == 1.0
    assert output.facts["typed_body_share"] == 1.0


def test_server_rendered_pages_are_not_judged_as_an_api(tmp_path: Path) -> None:
    files = tree(
        {"blog/views.py": "api/django_pages.py.txt", "blog/urls.py": "api/django_pages_urls.py.txt"}
    )
    output = run(ANALYZER, tmp_path / "repo", files)
    assert rows(output) == []
    reason = "no JSON API: every route renders a page"
    assert output.facts["not_applicable"] == {"C10": reason, "C11": reason}
    assert len(output.facts["routes"]) == 4


def test_fastapi_pages_are_not_judged_as_an_api(tmp_path: Path) -> None:
    app = (
        "from fastapi import FastAPI, Request\n"
        "from fastapi.responses import HTMLResponse, RedirectResponse\n"
        "from fastapi.templating import Jinja2Templates\n\n"
        "app = FastAPI()\n"
        'templates = Jinja2Templates(directory="templates")\n\n\n'
        '@app.get("/", response_class=HTMLResponse)\n'
        "def home(request: Request):\n"
        '    return "<h1>hi</h1>"\n\n\n'
        '@app.get("/about")\n'
        "def about(request: Request):\n"
        '    return templates.TemplateResponse(request, "about.html", {})\n\n\n'
        '@app.post("/logout", response_class=RedirectResponse)\n'
        "def logout():\n"
        '    return RedirectResponse("/")\n\n\n'
        '@app.get("/api/v1/items")\n'
        "def items(request: Request):\n"
        '    return {"items": []}\n'
    )
    output = run(ANALYZER, tmp_path / "repo", {"app/main.py": app})
    assert output.facts["api_routes"] == 1
    assert output.facts["typed_response_share"] == 0.0
    assert [(r["method"], r["path"]) for r in output.facts["routes"]] == [
        ("GET", "/"), ("GET", "/about"), ("GET", "/api/v1/items"), ("POST", "/logout"),
    ]


def test_no_web_app_is_not_applicable(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", {"cli.py": "import sys\nprint(sys.argv)\n"})
    reason = "no web routes found (no FastAPI, Flask or Django app)"
    assert output.facts["not_applicable"] == {"C10": reason, "C11": reason}
    assert output.facts["routes"] == []


def test_c11_score_rests_partly_on_typed_bodies_and_responses() -> None:
    adjust = ADJUSTERS["C11"]
    facts = {"api": {"typed_response_share": 0.0, "typed_body_share": 0.5}}
    assert adjust(100.0, facts) == (70.0, ["0% of API responses typed", "50% of API bodies typed"])
    assert adjust(80.0, {"api": {"typed_response_share": 1.0, "typed_body_share": None}}) == (
        80.0,
        ["100% of API responses typed"],
    )
    assert adjust(90.0, {}) == (90.0, [])
