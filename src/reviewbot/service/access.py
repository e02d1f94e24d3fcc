"""The workers' way to GitHub as a GitHub App (`reviewbot.github.app.GitHubApp`).

Each job gets the installation's current token (cached by the App until shortly before it
expires) for the REST API, and clone settings that carry it in git's environment.
"""

from __future__ import annotations

from reviewbot.github.app import KEY_PATH_VARIABLE, KEY_VARIABLE, GitHubApp, load_private_key
from reviewbot.service.config import ConfigError, ServiceConfig
from reviewbot.settings import Settings


class AppAccess:
    """`GitHubAccess` through a GitHub App's installation tokens."""

    def __init__(self, app: GitHubApp) -> None:
        self._app = app

    def __repr__(self) -> str:
        return f"AppAccess({self._app!r})"

    def _installation(self, installation_id: int | None, repo: str) -> int:
        # Deliveries to an App carry the installation; a repository webhook may not.
        if installation_id is not None:
            return installation_id
        owner, _, name = repo.partition("/")
        return self._app.installation_for(owner, name)

    def token(self, installation_id: int | None, repo: str) -> str:
        """The installation's current token."""
        return self._app.installation_token(self._installation(installation_id, repo)).token

    def clone_source(self, installation_id: int | None, repo: str,
                     settings: Settings) -> tuple[str, Settings]:
        """The repository's HTTPS URL and `settings` with the installation's token."""
        return self._app.clone_settings(settings, self._installation(installation_id, repo),
                                        repo)


def app_access(config: ServiceConfig) -> AppAccess | None:
    """The App access `config` describes, or None when REVIEWBOT_APP_ID is unset."""
    if not config.app_id:
        return None
    if not config.app_id.isdigit():
        raise ConfigError(f"REVIEWBOT_APP_ID must be the App's numeric id: {config.app_id!r}")
    key = load_private_key({
        KEY_VARIABLE: config.private_key or "",
        KEY_PATH_VARIABLE: str(config.private_key_path or ""),
    })
    app = GitHubApp(int(config.app_id), key, config.github_api_url,
                    web_url=config.github_web_url)
    return AppAccess(app)
