-- Coaching apps (seed 004): the registry of coaching applications (Hugo Matchmaker, Hugo Career,
-- ...), each with its personality schema. Which knowledge bases an app reads is in
-- app_knowledge_bases (20261123110300_knowledge.sql).

create table if not exists public.apps (
  app_id uuid primary key default gen_random_uuid(),
  slug text not null,
  display_name text not null,
  domain text not null,
  personality_schema_id uuid,
  is_active boolean not null default true,
  requires_subscription boolean not null default false,
  description text,
  icon_url text,
  app_store_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint apps_slug_unique unique (slug),
  constraint apps_slug_format check (private.is_snake_case_slug(slug)),
  constraint apps_display_name_not_blank check (btrim(display_name) <> ''),
  constraint apps_domain_valid check (domain in ('dating', 'career', 'health', 'finance', 'relationships', 'general')),
  constraint apps_personality_schema_fk foreign key (personality_schema_id)
    references public.personality_schemas (personality_schema_id) on delete set null,
  constraint apps_icon_url_https check (icon_url is null or icon_url ~ '^https://'),
  constraint apps_app_store_url_https check (app_store_url is null or app_store_url ~ '^https://')
);
comment on table public.apps is
  'Coaching applications (seed 004 apps): slug, domain, personality; readable by every signed-in user.';
comment on column public.apps.slug is 'Seed 004 apps.app_id (text, e.g. hugo_matchmaker).';

alter table public.apps enable row level security;

create index if not exists apps_domain_idx on public.apps (domain);
create index if not exists apps_active_idx on public.apps (slug) where is_active;
create index if not exists apps_personality_schema_idx on public.apps (personality_schema_id);

drop trigger if exists apps_set_updated_at on public.apps;
create trigger apps_set_updated_at
  before update on public.apps
  for each row execute function private.set_updated_at();

revoke all on table public.apps from anon, authenticated;
grant select, insert, update, delete on table public.apps to authenticated;
grant all on table public.apps to service_role;

drop policy if exists "Active apps are readable by signed-in users" on public.apps;
create policy "Active apps are readable by signed-in users" on public.apps
  for select to authenticated
  using (is_active or (select private.has_admin_claim()));

drop policy if exists "Apps are created by admins" on public.apps;
create policy "Apps are created by admins" on public.apps
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "Apps are edited by admins" on public.apps;
create policy "Apps are edited by admins" on public.apps
  for update to authenticated
  using ((select private.has_admin_claim()))
  with check ((select private.has_admin_claim()));

drop policy if exists "Apps are deleted by admins" on public.apps;
create policy "Apps are deleted by admins" on public.apps
  for delete to authenticated
  using ((select private.has_admin_claim()));
