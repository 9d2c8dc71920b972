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
