-- Profiles: one row per Supabase Auth user, holding every seed system's user columns
-- (2dots1line V7/V9.7/V11 `users`, Hugo `users`). Identity and credentials stay in auth.users.

-- The schema for what clients never reach directly: helper functions, internal tables.
create schema if not exists private;
comment on schema private is 'Internal functions and tables; not exposed through the Data API.';
revoke all on schema private from public, anon;
grant usage on schema private to authenticated, service_role;

-- Keeps updated_at honest on every update, whoever writes.
create or replace function private.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function private.set_updated_at() is 'Trigger: stamps updated_at on every update.';

-- True when tz names an IANA time zone PostgreSQL knows (used by check constraints).
create or replace function private.is_iana_timezone(tz text) returns boolean
language plpgsql immutable
set search_path = ''
as $$
begin
  perform now() at time zone tz;
  return tz !~ '^[+-]?[0-9]' and tz ~ '^[A-Za-z]';
exception when invalid_parameter_value then
  return false;
end;
$$;
comment on function private.is_iana_timezone(text) is 'Check helper: is tz a time zone name (not an offset) PostgreSQL knows.';
grant execute on function private.is_iana_timezone(text) to authenticated, service_role;

create table if not exists public.profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  email text,
  username text,
  display_name text,
  profile_picture_url text,
  region text not null default 'us',
  timezone text not null default 'UTC',
  language_preference text not null default 'en',
  preferences jsonb not null default '{}'::jsonb,
  account_status text not null default 'active',
  subscription_tier text not null default 'free',
  data_retention_days integer not null default 365,
  oriva_user_id uuid,
  growth_profile jsonb not null default '{}'::jsonb,
  memory_profile jsonb,
  knowledge_graph_schema jsonb,
  next_conversation_context_package jsonb,
  last_cycle_started_at timestamptz,
  concepts_created_in_cycle integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_active_at timestamptz,
  last_login_at timestamptz,
  constraint profiles_email_format check (email is null or email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]+$'),
  constraint profiles_username_unique unique (username),
  constraint profiles_username_length check (username is null or char_length(username) between 1 and 255),
  constraint profiles_display_name_length check (display_name is null or char_length(display_name) between 1 and 255),
  constraint profiles_region_length check (char_length(region) between 1 and 64),
  constraint profiles_timezone_iana check (private.is_iana_timezone(timezone)),
  constraint profiles_language_format check (language_preference ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  constraint profiles_preferences_object check (jsonb_typeof(preferences) = 'object'),
  constraint profiles_account_status_valid check (account_status in ('active', 'suspended', 'deactivated', 'deleted')),
  constraint profiles_subscription_tier_valid check (subscription_tier in ('free', 'premium', 'enterprise')),
  constraint profiles_data_retention_days_range check (data_retention_days between 30 and 1825),
  constraint profiles_oriva_user_id_unique unique (oriva_user_id),
  constraint profiles_concepts_created_in_cycle_nonnegative check (concepts_created_in_cycle >= 0)
);
comment on table public.profiles is
  'A person''s profile, keyed by auth.users.id: created by trigger on sign-up, erased by cascade.';

alter table public.profiles enable row level security;

create index if not exists profiles_email_idx on public.profiles (email);
create index if not exists profiles_last_active_at_idx on public.profiles (last_active_at desc);

-- last_active_at and last_login_at are activity, not a change to the profile (dotline.activity
-- marks the first at most once a minute, a sign-in the second): an update that moves only them
-- leaves updated_at alone.
drop trigger if exists profiles_set_updated_at on public.profiles;
create trigger profiles_set_updated_at
  before update on public.profiles
  for each row
  when ((to_jsonb(old) - 'last_active_at' - 'last_login_at' - 'updated_at')
        is distinct from (to_jsonb(new) - 'last_active_at' - 'last_login_at' - 'updated_at'))
  execute function private.set_updated_at();

-- Clients read their own row and edit only the columns a person may set; everything else
-- (tier, status, growth and memory profiles, cycle fields) is written by the server.
revoke all on table public.profiles from anon, authenticated;
grant select on table public.profiles to authenticated;
grant update (display_name, username, profile_picture_url, region, timezone,
              language_preference, preferences, data_retention_days)
  on table public.profiles to authenticated;
grant all on table public.profiles to service_role;

drop policy if exists "Profiles are readable by their owner" on public.profiles;
create policy "Profiles are readable by their owner" on public.profiles
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Profiles are editable by their owner" on public.profiles;
create policy "Profiles are editable by their owner" on public.profiles
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- Creates the profile when Supabase Auth creates a user (sign-up, invite, admin API).
create or replace function private.create_profile_for_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (user_id, email, display_name)
  values (
    new.id,
    new.email,
    nullif(coalesce(new.raw_user_meta_data ->> 'display_name', new.raw_user_meta_data ->> 'full_name'), '')
  )
  on conflict (user_id) do nothing;
  return new;
end;
$$;
comment on function private.create_profile_for_new_user() is
  'Trigger on auth.users: every new auth user gets a profile row.';
revoke all on function private.create_profile_for_new_user() from public, anon, authenticated;

drop trigger if exists on_auth_user_created on auth.users;
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.create_profile_for_new_user();
