-- The embedded vector store (design decision 6): each user's knowledge items (the seeds'
-- Weaviate class UserKnowledgeItem) with their embeddings, durable in Postgres and searched
-- in-process by shared/dotline/adapters/postgres_vectors.py. Production uses Weaviate behind the
-- same port (shared/dotline/ports/vectors.py); this is the default when WEAVIATE_URL is unset.
-- The schema is not exposed through the Data API: only the server (service_role) reaches it, and
-- every query names the user, so rows carry user_id and every index leads with it.

create schema if not exists vectors;
comment on schema vectors is 'The embedded vector store (knowledge items and embeddings); server only, never exposed.';
revoke all on schema vectors from public, anon, authenticated;
grant usage on schema vectors to service_role;

-- One searchable text of a user's and its embedding. The vector is little-endian float32 bytes
-- (what numpy reads without parsing); item_id is deterministic, chosen by the writer.
create table if not exists vectors.items (
  item_id uuid not null,
  user_id uuid not null constraint items_user_fk references auth.users (id) on delete cascade,
  source_entity_type text not null,
  source_entity_id uuid not null,
  title text,
  text text not null,
  tags text[] not null default '{}',
  importance double precision,
  created_at timestamptz not null,
  model_version text not null,
  version bigint not null default 0,
  vector bytea not null,
  updated_at timestamptz not null default now(),
  constraint items_pkey primary key (item_id),
  constraint items_vector_is_float32s check (
    octet_length(vector) > 0 and octet_length(vector) % 4 = 0
  ),
  constraint items_source_entity_type_not_blank check (btrim(source_entity_type) <> ''),
  constraint items_model_version_not_blank check (btrim(model_version) <> '')
);
comment on table vectors.items is
  'Knowledge items with their float32 embeddings (embedded vector store); a write older than version is ignored.';
comment on column vectors.items.vector is 'The embedding as little-endian float32 bytes.';
comment on column vectors.items.model_version is 'The embedder that made the vector; others are re-embedded.';

alter table vectors.items enable row level security;

-- Loading a user's matrix, and deleting by source entity.
create index if not exists items_user_id_source_idx
  on vectors.items (user_id, source_entity_type, source_entity_id);
-- The re-embed job's scan for other model versions (model_version < $1 or model_version > $1
-- becomes two range scans of this index).
create index if not exists items_model_version_idx on vectors.items (model_version);

-- Every write to a user's items moves their version to a fresh value of one sequence, so a
-- container's cached matrix is known stale with one cheap lookup, and a value never repeats
-- (not even after an erasure), so a cache can never mistake old rows for current ones.
create sequence if not exists vectors.user_version_seq;
comment on sequence vectors.user_version_seq is 'Source of per-user item-set versions (never reused).';

create table if not exists vectors.user_versions (
  user_id uuid not null
    constraint user_versions_user_fk references auth.users (id) on delete cascade,
  version bigint not null,
  constraint user_versions_pkey primary key (user_id)
);
comment on table vectors.user_versions is
  'The version of each user''s item set, bumped by every write; in-process search caches key on it.';

alter table vectors.user_versions enable row level security;

revoke all on table vectors.items, vectors.user_versions from public, anon, authenticated;
revoke all on sequence vectors.user_version_seq from public, anon, authenticated;
grant select, insert, update, delete on table vectors.items, vectors.user_versions to service_role;
grant usage on sequence vectors.user_version_seq to service_role;
