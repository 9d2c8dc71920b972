"""Which tags name a technical skill: programming languages, tools, and the domain each belongs to.

Persona analysis is statistics over a person's own tags; this catalogue only says which of those
tags are technical, and how to spell them. A tag outside it is an interest, never a skill, unless
a concept of a skill type names it.
"""

from __future__ import annotations

LANGUAGES = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "java": "Java",
    "kotlin": "Kotlin",
    "swift": "Swift",
    "go": "Go",
    "golang": "Go",
    "rust": "Rust",
    "c": "C",
    "c++": "C++",
    "cpp": "C++",
    "c#": "C#",
    "csharp": "C#",
    "ruby": "Ruby",
    "php": "PHP",
    "sql": "SQL",
    "r": "R",
    "scala": "Scala",
    "elixir": "Elixir",
    "haskell": "Haskell",
    "dart": "Dart",
    "bash": "Bash",
}

TOOLS = {
    "git": "Git",
    "docker": "Docker",
    "kubernetes": "Kubernetes",
    "vscode": "VSCode",
    "postgresql": "PostgreSQL",
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "aws": "AWS",
    "terraform": "Terraform",
    "linux": "Linux",
    "figma": "Figma",
    "jupyter": "Jupyter",
}

# tag -> domain; a language or tool may also belong to a domain.
DOMAINS = {
    "web-development": "Web Development",
    "django": "Web Development",
    "flask": "Web Development",
    "react": "Web Development",
    "html": "Web Development",
    "css": "Web Development",
    "frontend": "Web Development",
    "backend": "Web Development",
    "data-science": "Data Science",
    "pandas": "Data Science",
    "numpy": "Data Science",
    "statistics": "Data Science",
    "data-analysis": "Data Science",
    "machine-learning": "Machine Learning",
    "ml": "Machine Learning",
    "deep-learning": "Machine Learning",
    "tensorflow": "Machine Learning",
    "pytorch": "Machine Learning",
    "ai": "Machine Learning",
    "devops": "DevOps",
    "kubernetes": "DevOps",
    "docker": "DevOps",
    "terraform": "DevOps",
    "mobile": "Mobile Development",
    "ios": "Mobile Development",
    "android": "Mobile Development",
    "swift": "Mobile Development",
    "kotlin": "Mobile Development",
    "security": "Security",
    "databases": "Databases",
    "sql": "Databases",
    "postgresql": "Databases",
    "postgres": "Databases",
    "design": "Design",
    "figma": "Design",
}

# Concept types whose names are skills even when the catalogue does not know them.
SKILL_CONCEPT_TYPES = frozenset({"skill", "language", "tool", "technology", "framework"})


def normalise(tag: str) -> str:
    """The catalogue's key for a tag: lower case, spaces and underscores as hyphens."""
    return "-".join(tag.strip().lower().replace("_", " ").split())


def skill_name(tag: str) -> str | None:
    """The display name of the language, tool or domain a tag names; None for an interest."""
    key = normalise(tag)
    return LANGUAGES.get(key) or TOOLS.get(key) or (DOMAINS.get(key) if key in DOMAINS else None)


def domain_of(tag: str) -> str | None:
    """The technical domain a tag belongs to, if any."""
    return DOMAINS.get(normalise(tag))
