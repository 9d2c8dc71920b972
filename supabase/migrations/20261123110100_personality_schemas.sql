-- Personality schemas (seed 004): the coach's tone and rules, versioned, layered (a base and
-- overlays on it) and rolled out gradually to a percentage of users or an A/B group.

create table if not exists public.personality_schemas (
  personality_schema_id uuid primary key default gen_random_uuid(),
  schema_key text not null,
  version text not null,
  layer text not null,
  parent_schema_id uuid,
  schema jsonb not null,
  status text not null default 'draft',
  rollout_percentage integer not null default 0,
  ab_test_group text,
  created_by text not null default coalesce(auth.uid()::text, current_user),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  activated_at timestamptz,
  archived_at timestamptz,
  constraint personality_schemas_parent_fk foreign key (parent_schema_id)
    references public.personality_schemas (personality_schema_id),
  constraint personality_schemas_schema_key_format check (private.is_snake_case_slug(schema_key)),
  constraint personality_schemas_version_semver check (private.is_semantic_version(version)),
  constraint personality_schemas_key_version_unique unique (schema_key, version),
  constraint personality_schemas_layer_valid check (layer in ('base', 'overlay')),
  constraint personality_schemas_overlay_has_parent check ((layer = 'overlay') = (parent_schema_id is not null)),
  constraint personality_schemas_not_own_parent check (parent_schema_id <> personality_schema_id),
  constraint personality_schemas_schema_object check (jsonb_typeof(schema) = 'object'),
  constraint personality_schemas_status_valid check (status in ('draft', 'testing', 'active', 'archived')),
  constraint personality_schemas_rollout_percentage_range check (rollout_percentage between 0 and 100),
  constraint personality_schemas_ab_test_group_length check (ab_test_group is null or char_length(ab_test_group) between 1 and 64),
  constraint personality_schemas_created_by_not_blank check (btrim(created_by) <> ''),
  constraint personality_schemas_active_has_activated_at check (status <> 'active' or activated_at is not null),
  constraint personality_schemas_archived_has_archived_at check (status <> 'archived' or archived_at is not null)
);
comment on table public.personality_schemas is
  'Coaching personalities (seed 004): versioned base/overlay JSON, rolled out by percentage or A/B group.';
comment on column public.personality_schemas.schema_key is
  'The personality family (seed 004 schema_id, e.g. core_hugo); versions of one family share it.';
comment on column public.personality_schemas.rollout_percentage is
  'Share of users (0-100, by a stable hash of user and schema_key) who get this version while active.';

alter table public.personality_schemas enable row level security;

-- Seed 004: one fully rolled-out active version per family.
create unique index if not exists personality_schemas_one_full_rollout_per_key
  on public.personality_schemas (schema_key)
  where status = 'active' and rollout_percentage = 100;
create index if not exists personality_schemas_active_rollout_idx
  on public.personality_schemas (schema_key, rollout_percentage)
  where status = 'active' and rollout_percentage > 0;
create index if not exists personality_schemas_status_idx on public.personality_schemas (status);
create index if not exists personality_schemas_parent_idx on public.personality_schemas (parent_schema_id);

-- Stamps activated_at / archived_at on the status transitions (seed 004 audit trail).
create or replace function private.stamp_personality_schema_status() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'active' and new.activated_at is null then
    new.activated_at := now();
  end if;
  if new.status = 'archived' and new.archived_at is null then
    new.archived_at := now();
  end if;
  return new;
end;
$$;
comment on function private.stamp_personality_schema_status() is
  'Trigger: fills activated_at and archived_at when a personality schema enters those states.';

drop trigger if exists personality_schemas_stamp_status on public.personality_schemas;
create trigger personality_schemas_stamp_status
  before insert or update of status on public.personality_schemas
  for each row execute function private.stamp_personality_schema_status();

drop trigger if exists personality_schemas_set_updated_at on public.personality_schemas;
create trigger personality_schemas_set_updated_at
  before update on public.personality_schemas
  for each row execute function private.set_updated_at();

revoke all on table public.personality_schemas from anon, authenticated;
grant select, delete on table public.personality_schemas to authenticated;
grant insert (personality_schema_id, schema_key, version, layer, parent_schema_id, schema, status,
              rollout_percentage, ab_test_group)
  on table public.personality_schemas to authenticated;
grant update (schema, status, rollout_percentage, ab_test_group)
  on table public.personality_schemas to authenticated;
grant all on table public.personality_schemas to service_role;

drop policy if exists "Active personality schemas are readable by signed-in users" on public.personality_schemas;
create policy "Active personality schemas are readable by signed-in users" on public.personality_schemas
  for select to authenticated
  using (status = 'active' or (select private.has_admin_claim()));

drop policy if exists "Personality schemas are created by admins" on public.personality_schemas;
create policy "Personality schemas are created by admins" on public.personality_schemas
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "Personality schemas are edited by admins" on public.personality_schemas;
create policy "Personality schemas are edited by admins" on public.personality_schemas
  for update to authenticated
  using ((select private.has_admin_claim()))
  with check ((select private.has_admin_claim()));

drop policy if exists "Personality schemas are deleted by admins" on public.personality_schemas;
create policy "Personality schemas are deleted by admins" on public.personality_schemas
  for delete to authenticated
  using ((select private.has_admin_claim()));
