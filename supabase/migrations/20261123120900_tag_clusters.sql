-- Tag clusters (Dreamscape `tag_clusters`): themes found by clustering a person's tags. The
-- centre is a plain real[] (the seed's VECTOR(1536)): similarity search runs in the vector store,
-- Postgres only keeps the record. Cluster statistics are the server's.

create table if not exists public.tag_clusters (
  tag_cluster_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint tag_clusters_user_fk references auth.users (id) on delete cascade,
  cluster_name text,
  tags jsonb not null default '[]'::jsonb,
  cluster_center real[],
  cohesion_score numeric(4, 3),
  cluster_size integer,
  evolution_data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tag_clusters_cluster_name_length
    check (cluster_name is null or char_length(cluster_name) between 1 and 100),
  constraint tag_clusters_tags_array check (jsonb_typeof(tags) = 'array'),
  constraint tag_clusters_cluster_center_vector
    check (cluster_center is null
           or (array_ndims(cluster_center) = 1 and array_position(cluster_center, null) is null)),
  constraint tag_clusters_cohesion_score_range check (cohesion_score is null or cohesion_score between 0 and 1),
  constraint tag_clusters_cluster_size_nonnegative check (cluster_size is null or cluster_size >= 0),
  constraint tag_clusters_evolution_data_object check (jsonb_typeof(evolution_data) = 'object')
);
comment on table public.tag_clusters is
  'Clusters of a person''s tags: name, members, centre vector, cohesion, size, evolution; server-written.';

alter table public.tag_clusters enable row level security;

create index if not exists tag_clusters_user_id_cohesion_idx on public.tag_clusters (user_id, cohesion_score desc);
create index if not exists tag_clusters_user_id_size_idx on public.tag_clusters (user_id, cluster_size desc);

drop trigger if exists tag_clusters_set_updated_at on public.tag_clusters;
create trigger tag_clusters_set_updated_at
  before update on public.tag_clusters
  for each row execute function private.set_updated_at();

revoke all on table public.tag_clusters from anon, authenticated;
grant select on table public.tag_clusters to authenticated;
grant all on table public.tag_clusters to service_role;

drop policy if exists "Tag clusters are readable by their owner" on public.tag_clusters;
create policy "Tag clusters are readable by their owner" on public.tag_clusters
  for select to authenticated
  using (user_id = (select auth.uid()));
