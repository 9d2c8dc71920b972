-- Reflections (V7): a person's journal-style reflections, with the sentiment and insights the
-- server derives from them.

create table if not exists public.reflections (
  reflection_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  title text,
  content text not null,
  reflection_type text not null,
  related_entities jsonb not null default '[]'::jsonb,
  sentiment double precision,
  insights jsonb not null default '[]'::jsonb,
  tags text[] not null default '{}',
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint reflections_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint reflections_title_length check (title is null or char_length(btrim(title)) between 1 and 255),
  constraint reflections_content_not_blank check (btrim(content) <> ''),
  constraint reflections_reflection_type_length check (char_length(btrim(reflection_type)) between 1 and 64),
  constraint reflections_related_entities_objects check (private.is_array_of_objects(related_entities)),
  constraint reflections_sentiment_range check (sentiment is null or sentiment between -1 and 1),
  constraint reflections_insights_objects check (private.is_array_of_objects(insights)),
  constraint reflections_metadata_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.reflections is
  'A person''s reflections (V7); sentiment and insights are derived by the server.';

alter table public.reflections enable row level security;

create index if not exists reflections_user_created_idx on public.reflections (user_id, created_at desc);
create index if not exists reflections_tags_idx on public.reflections using gin (tags);

drop trigger if exists reflections_set_updated_at on public.reflections;
create trigger reflections_set_updated_at
  before update on public.reflections
  for each row execute function private.set_updated_at();

revoke all on table public.reflections from anon, authenticated;
grant select, delete on table public.reflections to authenticated;
grant insert (reflection_id, user_id, title, content, reflection_type, related_entities, tags, metadata)
  on table public.reflections to authenticated;
grant update (title, content, reflection_type, related_entities, tags, metadata) on table public.reflections to authenticated;
grant all on table public.reflections to service_role;

drop policy if exists "Reflections are readable by their owner" on public.reflections;
create policy "Reflections are readable by their owner" on public.reflections
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Reflections are created by their owner" on public.reflections;
create policy "Reflections are created by their owner" on public.reflections
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Reflections are editable by their owner" on public.reflections;
create policy "Reflections are editable by their owner" on public.reflections
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Reflections are deletable by their owner" on public.reflections;
create policy "Reflections are deletable by their owner" on public.reflections
  for delete to authenticated
  using (user_id = (select auth.uid()));
