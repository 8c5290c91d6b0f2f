"""Drives a live Gazette through the Python client generated from openapi/openapi.json:
create, read, page through, update, delete, and a typed problem-details error.

Usage: GAZETTE_URL=http://127.0.0.1:8080 GAZETTE_ADMIN_KEY=gazette_… python client.py
(with the generated package `gazette_client` on PYTHONPATH).
"""

import os
import sys
import time

from gazette_client import AuthenticatedClient, Client
from gazette_client.api.articles import (
    create_article,
    delete_article,
    get_article,
    list_articles,
    update_article,
)
from gazette_client.models import (
    Article,
    ArticleCreate,
    ArticleList,
    ArticlePatch,
    ArticleStatus,
    ExternalLinkInput,
    InternalLinkInput,
    Problem,
)

BASE_URL = os.environ.get("GAZETTE_URL", "http://127.0.0.1:8080")
ADMIN_KEY = os.environ.get("GAZETTE_ADMIN_KEY", "")


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"FAILED: {message}")


def main() -> None:
    reader = Client(base_url=BASE_URL)
    admin = AuthenticatedClient(base_url=BASE_URL, token=ADMIN_KEY)

    first = list_articles.sync(client=reader, limit=1)
    check(isinstance(first, ArticleList) and len(first.data) == 1, "the server has published articles")
    target = first.data[0]

    title = f"Python client check {time.time_ns()}"
    created = create_article.sync_detailed(
        client=admin,
        body=ArticleCreate(
            title=title,
            summary="Written by the generated Python client.",
            body="First paragraph.\n\nSecond *paragraph*.",
            status=ArticleStatus.PUBLISHED,
            tags=["Client Checks", "python"],
            related=[
                InternalLinkInput(slug=target.slug),
                ExternalLinkInput(url="https://example.org/python", summary="An external page."),
            ],
        ),
    )
    check(created.status_code == 201, f"create answered {created.status_code}: {created.content!r}")
    check(isinstance(created.parsed, Article), "create returned the article")
    slug = created.parsed.slug
    check(created.headers.get("location") == f"/api/v1/articles/{slug}", "Location header")

    article = get_article.sync(client=reader, slug_or_id=slug)
    check(isinstance(article, Article), "read by slug")
    check(article.title == title, "title round-trips")
    check("<em>paragraph</em>" in article.body_html, "body_html rendered")
    check([t.slug for t in article.tags] == ["client-checks", "python"], "tags in order")
    check(len(article.related) == 2, "two related links")
    check(article.related[0].slug == target.slug and article.related[0].kind.value == "internal", "internal link")
    check(article.related[1].title is None and article.related[1].url == "https://example.org/python", "external link")
    check(article.share.links.email.startswith("mailto:"), "share links")

    # Page through the whole list, three at a time, to the last page.
    seen = []
    cursor = None
    total = -1
    for _ in range(1000):
        page = list_articles.sync(client=reader, limit=3, **({"cursor": cursor} if cursor else {}))
        check(isinstance(page, ArticleList), "list page")
        seen.extend(page.data)
        total = page.meta.total
        if not page.meta.has_more:
            check(page.meta.next_cursor is None, "last page has next_cursor null")
            break
        cursor = page.meta.next_cursor
        check(isinstance(cursor, str), "a page with more has a cursor")
    check(len(seen) == total, f"saw {len(seen)} of {total}")
    check(len({a.id for a in seen}) == len(seen), "no article twice")
    check(any(a.slug == slug for a in seen), "the new article is listed")

    patched = update_article.sync(
        client=admin,
        slug_or_id=slug,
        body=ArticlePatch(summary="Patched by the Python client.", byline=None),
    )
    check(isinstance(patched, Article) and patched.summary == "Patched by the Python client.", "patch")
    check(patched.title == title, "patch leaves other fields")

    deleted = delete_article.sync_detailed(client=admin, slug_or_id=slug)
    check(deleted.status_code == 204, f"delete answered {deleted.status_code}")
    gone = get_article.sync_detailed(client=reader, slug_or_id=slug)
    check(gone.status_code == 404 and isinstance(gone.parsed, Problem), "deleted article is a 404 problem")

    # A bad request comes back as a typed problem.
    bad = create_article.sync_detailed(client=admin, body=ArticleCreate(title="   "))
    check(bad.status_code == 422, f"bad create answered {bad.status_code}")
    problem = bad.parsed
    check(isinstance(problem, Problem) and problem.status == 422, "typed problem details")
    check(problem.errors[0].field == "title", "the problem names the field")

    print(f"python client: ok ({len(seen)} articles paged)")


if __name__ == "__main__":
    main()
