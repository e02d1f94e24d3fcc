"""reviewbot on GitHub: the Action's entry point and what it publishes.

`action` orchestrates a run (`reviewbot action`); `actions_env` reads the Actions
environment and writes outputs, the job summary and escaped workflow commands; `regression`
scans the pull request's base commit; `diff`, `fingerprint` and `state` decide where inline
comments go and what earlier runs already said; `bodies` writes the texts; `publish` makes
the REST calls through PyGithub.
"""
