"""The browser fixtures of tests/web (a real server over the demo, Playwright on Debian's
chromium, axe-core on every page) for the case pages' own browser tests."""

from tests.web.conftest import (  # noqa: F401  (fixtures, used by name)
    base_url,
    browser_type_launch_args,
    built_assets,
    clients,
    demo_template,
    server,
    web,
)
