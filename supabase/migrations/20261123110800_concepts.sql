-- Concepts (V7, V9.7/V11): the ideas, people, places and themes of a person's knowledge graph,
-- merged into one another by the server when they turn out to be the same.

create table if not exists public.concepts (
  concept_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  name text not null,
  type text not null,
  description text,
  status text not null default 'active',
  salience double precision,
  source text not null default 'user',
  attributes jsonb not null default '{}'::jsonb,
  community_id uuid,
  merged_into_concept_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint concepts_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint concepts_id_user_unique unique (concept_id, user_id),
  constraint concepts_name_type_unique_per_user unique (user_id, name, type),
  constraint concepts_community_fk foreign key (community_id, user_id)
    references public.communities (community_id, user_id) on delete set null (community_id),
  constraint concepts_merged_into_fk foreign key (merged_into_concept_id, user_id)
    references public.concepts (concept_id, user_id),
  constraint concepts_name_length check (char_length(btrim(name)) between 1 and 255),
  constraint concepts_type_length check (char_length(btrim(type)) between 1 and 64),
  constraint concepts_status_valid check (status in ('active', 'merged', 'archived')),
  constraint concepts_merged_has_target check ((status = 'merged') = (merged_into_concept_id is not null)),
  constraint concepts_not_merged_into_itself check (merged_into_concept_id <> concept_id),
  constraint concepts_salience_range check (salience is null or salience between 0 and 1),
  constraint concepts_source_length check (char_length(source) between 1 and 64),
  constraint concepts_attributes_object check (jsonb_typeof(attributes) = 'object')
);
comment on table public.concepts is
  'A person''s concepts (V7, V9.7/V11): unique by (name, type) per person; merges point at the survivor.';
comment on column public.concepts.updated_at is 'V9.7/V11 last_updated_ts, V7 updated_at.';

alter table public.concepts enable row level security;

-- concepts_name_type_unique_per_user (user_id, name, type) backs the policies.
create index if not exists concepts_user_status_idx on public.concepts (user_id, status);
create index if not exists concepts_community_idx on public.concepts (community_id) where community_id is not null;
create index if not exists concepts_merged_into_idx on public.concepts (merged_into_concept_id)
  where merged_into_concept_id is not null;

drop trigger if exists concepts_set_updated_at on public.concepts;
create trigger concepts_set_updated_at
  before update on public.concepts
  for each row execute function private.set_updated_at();

-- Salience, community membership and merging are the server's (graph analytics, merge jobs).
revoke all on table public.concepts from anon, authenticated;
grant select, delete on table public.concepts to authenticated;
grant insert (concept_id, user_id, name, type, description, status, source, attributes)
  on table public.concepts to authenticated;
grant update (name, type, description, status, attributes) on table public.concepts to authenticated;
grant all on table public.concepts to service_role;

drop policy if exists "Concepts are readable by their owner" on public.concepts;
create policy "Concepts are readable by their owner" on public.concepts
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Concepts are created by their owner" on public.concepts;
create policy "Concepts are created by their owner" on public.concepts
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Concepts are editable by their owner" on public.concepts;
create policy "Concepts are editable by their owner" on public.concepts
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Concepts are deletable by their owner" on public.concepts;
create policy "Concepts are deletable by their owner" on public.concepts
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- Ingestion matches an extracted name to the person's concepts by its normalised form (case
-- folded, whitespace collapsed: "  Night   Shifts" is "night shifts"), in
-- shared/dotline/services/concept_resolution.py. This index serves that lookup, so it stays an
-- index probe however many concepts a person has. The expression must stay identical to the
-- query's.
create index if not exists concepts_user_normalised_name_idx
  on public.concepts (user_id, (lower(regexp_replace(btrim(name), '\s+', ' ', 'g'))));

-- Finding a person's concepts by the start of their name (GET /v1/concepts?name_prefix=), case
-- insensitively: the unique (user_id, name, type) index cannot serve `lower(name) like 'ab%'`.
create index if not exists concepts_user_lower_name_idx
  on public.concepts (user_id, lower(name) text_pattern_ops);
comment on index public.concepts_user_lower_name_idx is
  'Serves case-insensitive name-prefix search over one person''s concepts.';
