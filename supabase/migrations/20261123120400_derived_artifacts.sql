-- Derived artifacts (V7 `derived_artifacts`, V9.7/V11 `derived_artifacts`): what the system makes
-- from a person's material: insight summaries and cycle reports from the insight cycle, trophies
-- and posters as challenge rewards (V7 keeps rewards here rather than in a rewards table).
-- The links to memories and concepts (part A's tables) are added in
-- 20261123129000_cross_part_foreign_keys.sql.

create table if not exists public.derived_artifacts (
  artifact_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint derived_artifacts_user_fk references auth.users (id) on delete cascade,
  artifact_type text not null,
  title text not null,
  description text,
  content_narrative text,
  content_data jsonb,
  source_entities jsonb not null default '[]'::jsonb,
  source_memory_unit_id uuid,
  source_concept_id uuid,
  thumbnail_url text,
  attributes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint derived_artifacts_artifact_type_valid
    check (artifact_type in ('insight_summary', 'cycle_report', 'trophy', 'poster')),
  constraint derived_artifacts_title_length check (char_length(title) between 1 and 255),
  constraint derived_artifacts_content_data_object
    check (content_data is null or jsonb_typeof(content_data) = 'object'),
  constraint derived_artifacts_source_entities_objects check (private.is_array_of_objects(source_entities)),
  constraint derived_artifacts_thumbnail_url_length
    check (thumbnail_url is null or char_length(thumbnail_url) <= 1024),
  constraint derived_artifacts_attributes_object check (jsonb_typeof(attributes) = 'object')
);
comment on table public.derived_artifacts is
  'Insight summaries, cycle reports, trophies and posters derived from a person''s material; server-written.';

alter table public.derived_artifacts enable row level security;

create index if not exists derived_artifacts_user_id_created_at_idx
  on public.derived_artifacts (user_id, created_at desc);
create index if not exists derived_artifacts_user_id_type_idx
  on public.derived_artifacts (user_id, artifact_type);
create index if not exists derived_artifacts_source_memory_unit_idx
  on public.derived_artifacts (source_memory_unit_id) where source_memory_unit_id is not null;
create index if not exists derived_artifacts_source_concept_idx
  on public.derived_artifacts (source_concept_id) where source_concept_id is not null;

drop trigger if exists derived_artifacts_set_updated_at on public.derived_artifacts;
create trigger derived_artifacts_set_updated_at
  before update on public.derived_artifacts
  for each row execute function private.set_updated_at();

revoke all on table public.derived_artifacts from anon, authenticated;
grant select on table public.derived_artifacts to authenticated;
grant all on table public.derived_artifacts to service_role;

drop policy if exists "Derived artifacts are readable by their owner" on public.derived_artifacts;
create policy "Derived artifacts are readable by their owner" on public.derived_artifacts
  for select to authenticated
  using (user_id = (select auth.uid()));
