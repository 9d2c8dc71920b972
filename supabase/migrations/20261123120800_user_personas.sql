-- Personas and learning profiles (Dreamscape `user_personas`, `learning_profiles`): the results
-- of persona analysis, one persona per person and one learning profile per skill area. Both are
-- analysis output, written by the server only; people read their own.

create table if not exists public.user_personas (
  user_id uuid primary key constraint user_personas_user_fk references auth.users (id) on delete cascade,
  technical_profile jsonb not null default '{}'::jsonb,
  lifestyle_profile jsonb not null default '{}'::jsonb,
  learning_style jsonb not null default '{}'::jsonb,
  life_phase text,
  phase_confidence numeric(3, 2),
  interests_evolution jsonb not null default '{}'::jsonb,
  cross_domain_insights jsonb not null default '{}'::jsonb,
  last_analyzed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_personas_technical_profile_object check (jsonb_typeof(technical_profile) = 'object'),
  constraint user_personas_lifestyle_profile_object check (jsonb_typeof(lifestyle_profile) = 'object'),
  constraint user_personas_learning_style_object check (jsonb_typeof(learning_style) = 'object'),
  constraint user_personas_life_phase_valid
    check (life_phase is null or life_phase in ('early_career', 'mid_career', 'experienced')),
  constraint user_personas_phase_confidence_range
    check (phase_confidence is null or phase_confidence between 0 and 1),
  constraint user_personas_interests_evolution_object check (jsonb_typeof(interests_evolution) = 'object'),
  constraint user_personas_cross_domain_insights_object check (jsonb_typeof(cross_domain_insights) = 'object')
);
comment on table public.user_personas is
  'Persona analysis result per person (technical, lifestyle, learning style, life phase); server-written.';

alter table public.user_personas enable row level security;

create index if not exists user_personas_life_phase_idx on public.user_personas (life_phase, last_analyzed_at);
create index if not exists user_personas_last_analyzed_at_idx on public.user_personas (last_analyzed_at);

drop trigger if exists user_personas_set_updated_at on public.user_personas;
create trigger user_personas_set_updated_at
  before update on public.user_personas
  for each row execute function private.set_updated_at();

revoke all on table public.user_personas from anon, authenticated;
grant select on table public.user_personas to authenticated;
grant all on table public.user_personas to service_role;

drop policy if exists "Personas are readable by their owner" on public.user_personas;
create policy "Personas are readable by their owner" on public.user_personas
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Clears the personal content of a persona while keeping its aggregate fields (life phase,
-- confidence, dates) for analytics (Dreamscape's GDPR anonymisation). Full erasure is the
-- cascade from auth.users. Returns whether a persona was anonymised.
create or replace function private.anonymise_user_persona(p_user_id uuid) returns boolean
language sql
security definer
set search_path = ''
as $$
  with cleared as (
    update public.user_personas
    set technical_profile = '{}'::jsonb,
        lifestyle_profile = '{}'::jsonb,
        learning_style = '{}'::jsonb,
        interests_evolution = '{}'::jsonb,
        cross_domain_insights = '{}'::jsonb
    where user_id = p_user_id
    returning 1
  )
  select exists (select 1 from cleared)
$$;
comment on function private.anonymise_user_persona(uuid) is
  'Empties a persona''s personal JSON (keeps life phase and dates); returns true when a row was found.';
revoke all on function private.anonymise_user_persona(uuid) from public, anon, authenticated;
grant execute on function private.anonymise_user_persona(uuid) to service_role;

-- Learning analytics per skill area.
create table if not exists public.learning_profiles (
  learning_profile_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint learning_profiles_user_fk references auth.users (id) on delete cascade,
  skill_area text not null,
  current_level text,
  progression_data jsonb not null default '{}'::jsonb,
  learning_velocity numeric(4, 3),
  last_activity_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint learning_profiles_skill_area_length check (char_length(skill_area) between 1 and 100),
  constraint learning_profiles_current_level_valid
    check (current_level is null or current_level in ('beginner', 'intermediate', 'advanced', 'expert')),
  constraint learning_profiles_progression_data_object check (jsonb_typeof(progression_data) = 'object'),
  constraint learning_profiles_learning_velocity_range
    check (learning_velocity is null or learning_velocity between 0 and 1),
  constraint learning_profiles_user_skill_area_unique unique (user_id, skill_area)
);
comment on table public.learning_profiles is
  'Per skill area: level, progression and learning velocity from persona analysis; server-written.';

alter table public.learning_profiles enable row level security;

create index if not exists learning_profiles_user_id_velocity_idx
  on public.learning_profiles (user_id, learning_velocity desc);

drop trigger if exists learning_profiles_set_updated_at on public.learning_profiles;
create trigger learning_profiles_set_updated_at
  before update on public.learning_profiles
  for each row execute function private.set_updated_at();

revoke all on table public.learning_profiles from anon, authenticated;
grant select on table public.learning_profiles to authenticated;
grant all on table public.learning_profiles to service_role;

drop policy if exists "Learning profiles are readable by their owner" on public.learning_profiles;
create policy "Learning profiles are readable by their owner" on public.learning_profiles
  for select to authenticated
  using (user_id = (select auth.uid()));
