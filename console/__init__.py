"""The web console: pages where stewards, requesters, approvers and the secretariat work.

Pages are clients of the same selectors and services as the API (STYLE.md habit 9): a page scopes
what it reads with the caller's `Actor`, validates with a form, calls one service and renders."""
