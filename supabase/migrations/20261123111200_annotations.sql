-- Annotations (V7): a person's notes, highlights and media pinned to any node of their graph
-- (memory, concept, artifact, card, ...), addressed by id and node type.

create table if not exists public.annotations (
  annotation_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  target_id uuid not null,
  target_type text not null,
  annotation_type text not null,
  text_content text,
  media_url text,
  source text not null default 'user',
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint annotations_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint annotations_target_type_length check (char_length(btrim(target_type)) between 1 and 64),
  constraint annotations_annotation_type_length check (char_length(btrim(annotation_type)) between 1 and 64),
  constraint annotations_has_content check (nullif(btrim(text_content), '') is not null or nullif(btrim(media_url), '') is not null),
  constraint annotations_media_url_length check (media_url is null or char_length(media_url) <= 1024),
  constraint annotations_source_length check (char_length(source) between 1 and 64),
  constraint annotations_metadata_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.annotations is
  'Notes a person pins to a node of their graph (V7 annotations); the target is polymorphic (id + type).';
comment on column public.annotations.target_type is 'V7 target_node_type (MemoryUnit, Concept, DerivedArtifact, ...).';

alter table public.annotations enable row level security;

create index if not exists annotations_user_target_idx on public.annotations (user_id, target_type, target_id);
create index if not exists annotations_user_created_idx on public.annotations (user_id, created_at desc);

drop trigger if exists annotations_set_updated_at on public.annotations;
create trigger annotations_set_updated_at
  before update on public.annotations
  for each row execute function private.set_updated_at();

revoke all on table public.annotations from anon, authenticated;
grant select, delete on table public.annotations to authenticated;
grant insert (annotation_id, user_id, target_id, target_type, annotation_type, text_content, media_url, metadata)
  on table public.annotations to authenticated;
grant update (annotation_type, text_content, media_url, metadata) on table public.annotations to authenticated;
grant all on table public.annotations to service_role;

drop policy if exists "Annotations are readable by their owner" on public.annotations;
create policy "Annotations are readable by their owner" on public.annotations
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Annotations are created by their owner" on public.annotations;
create policy "Annotations are created by their owner" on public.annotations
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Annotations are editable by their owner" on public.annotations;
create policy "Annotations are editable by their owner" on public.annotations
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Annotations are deletable by their owner" on public.annotations;
create policy "Annotations are deletable by their owner" on public.annotations
  for delete to authenticated
  using (user_id = (select auth.uid()));
