"""Demo data for `make run`: a realistic alliance (organisations, people, ~300 datasets) and
sharing requests in every state, written through every app's services (`manage.py seed_demo`).
"""
