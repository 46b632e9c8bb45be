"""Demo data: a realistic, deterministic French field-service company."""

from app.demo.generator import ACCOUNTS_HELP, DEMO_PASSWORD, generate, is_empty

__all__ = ["ACCOUNTS_HELP", "DEMO_PASSWORD", "generate", "is_empty"]
