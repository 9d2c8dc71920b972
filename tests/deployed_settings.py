"""Settings a deployed function accepts: every one given, none a well-known local value.

The database is the local one under another spelling; the backends are addresses no test
request reaches.
"""

from __future__ import annotations

PROJECT_URL = "https://project-ref.supabase.test"
STRONG_JWT_SECRET = "a-deployed-projects-own-secret-of-more-than-32-characters"
STRONG_REDIS_TOKEN = "a-deployed-redis-token"

DEPLOYED = {
    "database_url": "postgresql://postgres:postgres@localhost:54322/postgres",
    "supabase_url": PROJECT_URL,
    "supabase_jwt_secret": STRONG_JWT_SECRET,
    "supabase_service_role_key": "a-deployed-service-role-key",
    "webhook_secret": "a-deployed-webhook-secret",
    "upstash_redis_rest_url": "https://redis.test",
    "upstash_redis_rest_token": STRONG_REDIS_TOKEN,
    "cursor_secret": "a-deployed-cursor-secret",
    "neo4j_uri": "bolt://127.0.0.1:9",
    "weaviate_url": "http://127.0.0.1:9",
    "embeddings_url": "http://127.0.0.1:9/v1",
    "llm_url": "http://127.0.0.1:9/v1",
}
