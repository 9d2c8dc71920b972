-- Persona opt-out and anonymisation (Dreamscape "Data Anonymization"). A person may turn persona
-- analysis off (PATCH /v1/me persona_analysis: false); deleted accounts (account_status
-- 'deleted', before Auth erases them) are treated the same. Their persona keeps only its
-- aggregate fields (life phase, confidence, dates) and their learning profiles keep level and
-- velocity; the personal JSON goes. Analysis skips them from then on. Hard erasure remains the
-- cascade from auth.users.

alter table public.profiles
  add column if not exists persona_analysis_enabled boolean not null default true;
comment on column public.profiles.persona_analysis_enabled is
  'False: the person opted out of persona analysis; their persona is anonymised and no longer analysed.';
grant update (persona_analysis_enabled) on table public.profiles to authenticated;

alter table public.user_personas add column if not exists anonymised_at timestamptz;
comment on column public.user_personas.anonymised_at is
  'When the personal JSON was blanked (opt-out or deletion); null while the persona is live.';

-- The job: blanks every persona of an opted-out or deleted person not blanked yet, oldest
-- first, at most p_batch_size a run. Returns {"anonymised": n, "learning_profiles": m}.
create or replace function private.anonymise_personas(p_batch_size integer default 1000)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_users uuid[];
  v_profiles integer;
begin
  select coalesce(array_agg(up.user_id), '{}') into v_users
  from (
    select up.user_id
    from public.user_personas up
    join public.profiles p on p.user_id = up.user_id
    where up.anonymised_at is null
      and (not p.persona_analysis_enabled or p.account_status = 'deleted')
    order by up.updated_at
    limit p_batch_size
    for update of up skip locked
  ) up;

  perform private.anonymise_user_persona(u) from unnest(v_users) as u;
  update public.user_personas set anonymised_at = now() where user_id = any (v_users);

  update public.learning_profiles lp set progression_data = '{}'::jsonb
  where lp.user_id = any (v_users) and lp.progression_data <> '{}'::jsonb;
  get diagnostics v_profiles = row_count;

  return jsonb_build_object('anonymised', cardinality(v_users), 'learning_profiles', v_profiles);
end;
$$;
comment on function private.anonymise_personas(integer) is
  'Job: blanks persona JSON (and learning progression) of opted-out or deleted people, keeping aggregates.';
revoke all on function private.anonymise_personas(integer) from public, anon, authenticated;
grant execute on function private.anonymise_personas(integer) to service_role;

-- Nightly, after the retention jobs. cron.schedule() with a job name replaces that job.
select cron.schedule(
  'anonymise-personas',
  '45 3 * * *',
  format('select private.run_job(%L, %L)', 'anonymise-personas', 'select private.anonymise_personas()')
);

-- Opting out takes effect at once: when a person turns persona analysis off (or their account
-- is marked deleted), their persona is blanked in the same transaction, not at the next
-- anonymise-personas run. The nightly job stays as the safety net for personas written by
-- other paths (imports, restores).
create or replace function private.anonymise_persona_on_opt_out() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (not new.persona_analysis_enabled and old.persona_analysis_enabled)
     or (new.account_status = 'deleted' and old.account_status <> 'deleted') then
    if private.anonymise_user_persona(new.user_id) then
      update public.user_personas set anonymised_at = now() where user_id = new.user_id;
      update public.learning_profiles set progression_data = '{}'::jsonb
      where user_id = new.user_id and progression_data <> '{}'::jsonb;
    end if;
  end if;
  return null;
end;
$$;
comment on function private.anonymise_persona_on_opt_out() is
  'Trigger: blanks a persona (and learning progression) when its person opts out or is marked deleted.';
revoke all on function private.anonymise_persona_on_opt_out() from public, anon, authenticated;

drop trigger if exists profiles_anonymise_persona_on_opt_out on public.profiles;
create trigger profiles_anonymise_persona_on_opt_out
  after update of persona_analysis_enabled, account_status on public.profiles
  for each row execute function private.anonymise_persona_on_opt_out();
