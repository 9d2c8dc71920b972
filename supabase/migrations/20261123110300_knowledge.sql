-- Knowledge (seed 004): knowledge bases (versioned collections of domain expertise), which apps
-- read them, and their entries with a weighted full-text search vector.

create table if not exists public.knowledge_bases (
  knowledge_base_id uuid primary key default gen_random_uuid(),
  slug text not null,
  title text not null,
  description text,
  owner_org text not null default 'oriva',
  version text not null default '1.0.0',
  parent_knowledge_base_id uuid,
  entry_count integer not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint knowledge_bases_slug_unique unique (slug),
  constraint knowledge_bases_slug_format check (private.is_snake_case_slug(slug)),
  constraint knowledge_bases_title_not_blank check (btrim(title) <> ''),
  constraint knowledge_bases_owner_org_not_blank check (btrim(owner_org) <> ''),
  constraint knowledge_bases_version_semver check (private.is_semantic_version(version)),
  constraint knowledge_bases_parent_fk foreign key (parent_knowledge_base_id)
    references public.knowledge_bases (knowledge_base_id) on delete set null,
  constraint knowledge_bases_not_own_parent check (parent_knowledge_base_id <> knowledge_base_id),
  constraint knowledge_bases_entry_count_nonnegative check (entry_count >= 0)
);
comment on table public.knowledge_bases is
  'Collections of coaching expertise (seed 004), versioned; only active ones are searched.';
comment on column public.knowledge_bases.slug is 'Seed 004 knowledge_bases.kb_id (text, e.g. intimacy_code_v1).';
comment on column public.knowledge_bases.entry_count is 'Maintained by trigger on knowledge_entries.';

alter table public.knowledge_bases enable row level security;

create index if not exists knowledge_bases_active_idx on public.knowledge_bases (knowledge_base_id) where is_active;
create index if not exists knowledge_bases_parent_idx on public.knowledge_bases (parent_knowledge_base_id);

drop trigger if exists knowledge_bases_set_updated_at on public.knowledge_bases;
create trigger knowledge_bases_set_updated_at
  before update on public.knowledge_bases
  for each row execute function private.set_updated_at();

revoke all on table public.knowledge_bases from anon, authenticated;
grant select, delete on table public.knowledge_bases to authenticated;
grant insert (knowledge_base_id, slug, title, description, owner_org, version, parent_knowledge_base_id, is_active)
  on table public.knowledge_bases to authenticated;
grant update (slug, title, description, owner_org, version, parent_knowledge_base_id, is_active)
  on table public.knowledge_bases to authenticated;
grant all on table public.knowledge_bases to service_role;

drop policy if exists "Active knowledge bases are readable by signed-in users" on public.knowledge_bases;
create policy "Active knowledge bases are readable by signed-in users" on public.knowledge_bases
  for select to authenticated
  using (is_active or (select private.has_admin_claim()));

drop policy if exists "Knowledge bases are created by admins" on public.knowledge_bases;
create policy "Knowledge bases are created by admins" on public.knowledge_bases
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "Knowledge bases are edited by admins" on public.knowledge_bases;
create policy "Knowledge bases are edited by admins" on public.knowledge_bases
  for update to authenticated
  using ((select private.has_admin_claim()))
  with check ((select private.has_admin_claim()));

drop policy if exists "Knowledge bases are deleted by admins" on public.knowledge_bases;
create policy "Knowledge bases are deleted by admins" on public.knowledge_bases
  for delete to authenticated
  using ((select private.has_admin_claim()));


-- Which apps read which knowledge bases: replaces seed 004's two mirrored arrays
-- (apps.knowledge_base_ids and knowledge_bases.app_ids) with one relation the FKs keep true.
create table if not exists public.app_knowledge_bases (
  app_id uuid not null,
  knowledge_base_id uuid not null,
  created_at timestamptz not null default now(),
  constraint app_knowledge_bases_pkey primary key (app_id, knowledge_base_id),
  constraint app_knowledge_bases_app_fk foreign key (app_id)
    references public.apps (app_id) on delete cascade,
  constraint app_knowledge_bases_knowledge_base_fk foreign key (knowledge_base_id)
    references public.knowledge_bases (knowledge_base_id) on delete cascade
);
comment on table public.app_knowledge_bases is
  'Which knowledge bases each coaching app may read (seed 004 apps.knowledge_base_ids / knowledge_bases.app_ids).';

alter table public.app_knowledge_bases enable row level security;

create index if not exists app_knowledge_bases_knowledge_base_idx on public.app_knowledge_bases (knowledge_base_id);

revoke all on table public.app_knowledge_bases from anon, authenticated;
grant select, insert, delete on table public.app_knowledge_bases to authenticated;
grant all on table public.app_knowledge_bases to service_role;

drop policy if exists "App knowledge links are readable by signed-in users" on public.app_knowledge_bases;
create policy "App knowledge links are readable by signed-in users" on public.app_knowledge_bases
  for select to authenticated
  using (true);

drop policy if exists "App knowledge links are created by admins" on public.app_knowledge_bases;
create policy "App knowledge links are created by admins" on public.app_knowledge_bases
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "App knowledge links are deleted by admins" on public.app_knowledge_bases;
create policy "App knowledge links are deleted by admins" on public.app_knowledge_bases
  for delete to authenticated
  using ((select private.has_admin_claim()));


-- array_to_string is only STABLE; a generated column needs an IMMUTABLE expression, and joining
-- text with a space cannot change between calls.
create or replace function private.tags_as_text(tags text[]) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(array_to_string(tags, ' '), '')
$$;
comment on function private.tags_as_text(text[]) is
  'Immutable tag joiner for knowledge_entries.search_vector (array_to_string is only stable).';
revoke all on function private.tags_as_text(text[]) from public, anon;
grant execute on function private.tags_as_text(text[]) to authenticated, service_role;

create table if not exists public.knowledge_entries (
  knowledge_entry_id uuid primary key default gen_random_uuid(),
  knowledge_base_id uuid not null,
  title text not null,
  content text not null,
  category text,
  tags text[] not null default '{}',
  section_number integer,
  search_vector tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(content, '')), 'B') ||
    setweight(to_tsvector('english'::regconfig, private.tags_as_text(tags)), 'C')
  ) stored,
  vector_store_id text,
  metadata jsonb not null default '{}'::jsonb,
  access_count integer not null default 0,
  last_accessed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint knowledge_entries_knowledge_base_fk foreign key (knowledge_base_id)
    references public.knowledge_bases (knowledge_base_id) on delete cascade,
  constraint knowledge_entries_title_not_blank check (btrim(title) <> ''),
  constraint knowledge_entries_content_not_blank check (btrim(content) <> ''),
  constraint knowledge_entries_category_not_blank check (category is null or btrim(category) <> ''),
  constraint knowledge_entries_section_number_nonnegative check (section_number is null or section_number >= 0),
  constraint knowledge_entries_metadata_object check (jsonb_typeof(metadata) = 'object'),
  constraint knowledge_entries_access_count_nonnegative check (access_count >= 0)
);
comment on table public.knowledge_entries is
  'One piece of coaching knowledge (seed 004), searched by its weighted tsvector (title A, content B, tags C).';
comment on column public.knowledge_entries.access_count is
  'Times returned by api.search_knowledge; server-maintained (private.record_knowledge_access).';

alter table public.knowledge_entries enable row level security;

create index if not exists knowledge_entries_knowledge_base_idx on public.knowledge_entries (knowledge_base_id, section_number);
create index if not exists knowledge_entries_category_idx on public.knowledge_entries (category);
create index if not exists knowledge_entries_search_vector_idx on public.knowledge_entries using gin (search_vector);
create index if not exists knowledge_entries_tags_idx on public.knowledge_entries using gin (tags);
create index if not exists knowledge_entries_popular_idx on public.knowledge_entries (access_count desc);

-- Content edits only: an access (access_count, last_accessed_at) is not a modification.
drop trigger if exists knowledge_entries_set_updated_at on public.knowledge_entries;
create trigger knowledge_entries_set_updated_at
  before update of knowledge_base_id, title, content, category, tags, section_number, vector_store_id, metadata
  on public.knowledge_entries
  for each row execute function private.set_updated_at();

-- Keeps knowledge_bases.entry_count equal to the number of entries (an admin writes entries,
-- but entry_count is not client-writable, hence security definer).
create or replace function private.count_knowledge_entries() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    update public.knowledge_bases set entry_count = entry_count + 1
    where knowledge_base_id = new.knowledge_base_id;
  end if;
  if tg_op in ('DELETE', 'UPDATE') then
    update public.knowledge_bases set entry_count = greatest(entry_count - 1, 0)
    where knowledge_base_id = old.knowledge_base_id;
  end if;
  return null;
end;
$$;
comment on function private.count_knowledge_entries() is
  'Trigger: maintains knowledge_bases.entry_count on entry insert, move and delete.';
revoke all on function private.count_knowledge_entries() from public, anon, authenticated;

drop trigger if exists knowledge_entries_count on public.knowledge_entries;
create trigger knowledge_entries_count
  after insert or delete or update of knowledge_base_id on public.knowledge_entries
  for each row execute function private.count_knowledge_entries();

revoke all on table public.knowledge_entries from anon, authenticated;
grant select, delete on table public.knowledge_entries to authenticated;
grant insert (knowledge_entry_id, knowledge_base_id, title, content, category, tags, section_number,
              vector_store_id, metadata)
  on table public.knowledge_entries to authenticated;
grant update (knowledge_base_id, title, content, category, tags, section_number, vector_store_id, metadata)
  on table public.knowledge_entries to authenticated;
grant all on table public.knowledge_entries to service_role;

drop policy if exists "Active knowledge entries are readable by signed-in users" on public.knowledge_entries;
create policy "Active knowledge entries are readable by signed-in users" on public.knowledge_entries
  for select to authenticated
  using (
    (select private.has_admin_claim())
    or exists (
      select from public.knowledge_bases kb
      where kb.knowledge_base_id = knowledge_entries.knowledge_base_id and kb.is_active
    )
  );

drop policy if exists "Knowledge entries are created by admins" on public.knowledge_entries;
create policy "Knowledge entries are created by admins" on public.knowledge_entries
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "Knowledge entries are edited by admins" on public.knowledge_entries;
create policy "Knowledge entries are edited by admins" on public.knowledge_entries
  for update to authenticated
  using ((select private.has_admin_claim()))
  with check ((select private.has_admin_claim()));

drop policy if exists "Knowledge entries are deleted by admins" on public.knowledge_entries;
create policy "Knowledge entries are deleted by admins" on public.knowledge_entries
  for delete to authenticated
  using ((select private.has_admin_claim()));

-- Seed 004 increment_ke_access, for many entries at once. Security definer because access
-- counts are not client-writable; it touches only entries of active bases the caller can search.
create or replace function private.record_knowledge_access(entry_ids uuid[]) returns void
language sql
security definer
set search_path = ''
as $$
  update public.knowledge_entries ke
  set access_count = ke.access_count + 1,
      last_accessed_at = now()
  from public.knowledge_bases kb
  where ke.knowledge_entry_id = any (entry_ids)
    and kb.knowledge_base_id = ke.knowledge_base_id
    and kb.is_active
$$;
comment on function private.record_knowledge_access(uuid[]) is
  'Counts one access to each given knowledge entry (seed 004 increment_ke_access), stamping last_accessed_at.';
revoke all on function private.record_knowledge_access(uuid[]) from public, anon;
grant execute on function private.record_knowledge_access(uuid[]) to authenticated, service_role;
