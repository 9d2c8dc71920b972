-- What the graph and vector stores know, mirrored in Postgres for the UI and for computed card
-- evolution: per-entity connection counts synced from the graph store (V7 `neo4j_connection_stats`
-- / `graph_connections`), 3D cosmos projections (V9.7/V11 `user_graph_projections`), and the
-- entity → vector-id junction (V7 `entity_vectors`). All are written by the server only.

-- Connection counts per entity, synced from the graph store (nightly or on change).
create table if not exists public.graph_connection_stats (
  user_id uuid not null constraint graph_connection_stats_user_fk references auth.users (id) on delete cascade,
  entity_type text not null,
  entity_id uuid not null,
  connection_count integer not null default 0,
  connections_by_type jsonb not null default '{}'::jsonb,
  synced_at timestamptz not null default now(),
  constraint graph_connection_stats_pkey primary key (user_id, entity_type, entity_id),
  constraint graph_connection_stats_entity_type_format check (entity_type ~ '^[a-z][a-z_]{0,31}$'),
  constraint graph_connection_stats_connection_count_nonnegative check (connection_count >= 0),
  constraint graph_connection_stats_connections_by_type_object
    check (jsonb_typeof(connections_by_type) = 'object')
);
comment on table public.graph_connection_stats is
  'Per-entity connection counts copied from the graph store; feeds card evolution. Server-written.';

alter table public.graph_connection_stats enable row level security;

create index if not exists graph_connection_stats_entity_idx
  on public.graph_connection_stats (entity_id);

revoke all on table public.graph_connection_stats from anon, authenticated;
grant select on table public.graph_connection_stats to authenticated;
grant all on table public.graph_connection_stats to service_role;

drop policy if exists "Graph connection stats are readable by their owner" on public.graph_connection_stats;
create policy "Graph connection stats are readable by their owner" on public.graph_connection_stats
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A computed layout of the user's graph for the 3D cosmos view.
create table if not exists public.user_graph_projections (
  projection_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint user_graph_projections_user_fk references auth.users (id) on delete cascade,
  status text not null default 'completed',
  projection_data jsonb not null,
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_graph_projections_status_format check (status ~ '^[a-z][a-z_]{0,31}$'),
  constraint user_graph_projections_projection_data_object check (jsonb_typeof(projection_data) = 'object'),
  constraint user_graph_projections_metadata_object check (metadata is null or jsonb_typeof(metadata) = 'object')
);
comment on table public.user_graph_projections is
  'Snapshots of a user''s knowledge graph laid out for the 3D cosmos; the newest is the current one.';

alter table public.user_graph_projections enable row level security;

create index if not exists user_graph_projections_user_id_created_at_idx
  on public.user_graph_projections (user_id, created_at desc);

drop trigger if exists user_graph_projections_set_updated_at on public.user_graph_projections;
create trigger user_graph_projections_set_updated_at
  before update on public.user_graph_projections
  for each row execute function private.set_updated_at();

revoke all on table public.user_graph_projections from anon, authenticated;
grant select on table public.user_graph_projections to authenticated;
grant all on table public.user_graph_projections to service_role;

drop policy if exists "Graph projections are readable by their owner" on public.user_graph_projections;
create policy "Graph projections are readable by their owner" on public.user_graph_projections
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Which vector (in which store, by which embedding model) stands for which entity: re-embedding
-- with a new model adds rows for the new model instead of rewriting entities.
create table if not exists public.entity_vectors (
  entity_vector_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint entity_vectors_user_fk references auth.users (id) on delete cascade,
  entity_type text not null,
  entity_id uuid not null,
  vector_store text not null default 'weaviate',
  collection text not null default 'UserKnowledgeItem',
  vector_id text not null,
  embedding_model_version text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entity_vectors_entity_type_format check (entity_type ~ '^[a-z][a-z_]{0,31}$'),
  constraint entity_vectors_vector_store_format check (vector_store ~ '^[a-z][a-z0-9_]{0,31}$'),
  constraint entity_vectors_vector_id_length check (char_length(vector_id) between 1 and 255),
  constraint entity_vectors_model_length check (char_length(embedding_model_version) between 1 and 128),
  constraint entity_vectors_entity_model_unique
    unique (user_id, entity_type, entity_id, vector_store, embedding_model_version)
);
comment on table public.entity_vectors is
  'Junction from an entity to its vector in the vector store, per embedding model. Server-written.';

alter table public.entity_vectors enable row level security;

create index if not exists entity_vectors_vector_idx on public.entity_vectors (vector_store, vector_id);

drop trigger if exists entity_vectors_set_updated_at on public.entity_vectors;
create trigger entity_vectors_set_updated_at
  before update on public.entity_vectors
  for each row execute function private.set_updated_at();

revoke all on table public.entity_vectors from anon, authenticated;
grant select on table public.entity_vectors to authenticated;
grant all on table public.entity_vectors to service_role;

drop policy if exists "Entity vectors are readable by their owner" on public.entity_vectors;
create policy "Entity vectors are readable by their owner" on public.entity_vectors
  for select to authenticated
  using (user_id = (select auth.uid()));
