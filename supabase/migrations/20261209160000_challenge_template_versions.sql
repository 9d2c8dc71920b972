-- Challenge templates edited by admins, versioned: a change is a new row (version + 1) pointing at
-- the version it replaced, which is retired (is_active false). A challenge already started keeps
-- the template version it was started from (user_challenges references that row), and stays able
-- to read it.

alter table public.challenge_templates
  add column if not exists version integer not null default 1,
  add column if not exists previous_version_id uuid;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'challenge_templates_version_positive') then
    alter table public.challenge_templates
      add constraint challenge_templates_version_positive check (version >= 1),
      add constraint challenge_templates_previous_version_fk foreign key (previous_version_id)
        references public.challenge_templates (challenge_template_id) on delete restrict,
      add constraint challenge_templates_replaced_once unique (previous_version_id);
  end if;
end;
$$;

comment on column public.challenge_templates.version is
  'Counts the template''s versions from 1; an admin''s change writes version + 1 as a new row.';
comment on column public.challenge_templates.previous_version_id is
  'The version this row replaced (retired when it was written); unique, so a version is replaced once.';

grant insert (challenge_template_id, name, description, dim_keys, difficulty, payload, is_active,
              version, previous_version_id)
  on table public.challenge_templates to authenticated;
grant update (is_active) on table public.challenge_templates to authenticated;

-- Security definer: the template policy cannot read user_challenges under its own policies (whose
-- insert check reads challenge_templates: that would be a policy cycle).
create or replace function private.runs_challenge_of(p_template_id uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.user_challenges uc
    where uc.challenge_template_id = p_template_id and uc.user_id = (select auth.uid())
  )
$$;
comment on function private.runs_challenge_of(uuid) is
  'Whether the caller has a challenge (any status) started from this template version.';
revoke all on function private.runs_challenge_of(uuid) from public, anon;
grant execute on function private.runs_challenge_of(uuid) to authenticated, service_role;

drop policy if exists "Active challenge templates are readable by signed-in users" on public.challenge_templates;
drop policy if exists "Challenge templates are readable when active, by admins, or by those running one" on public.challenge_templates;
create policy "Challenge templates are readable when active, by admins, or by those running one"
  on public.challenge_templates
  for select to authenticated
  using (
    is_active
    or (select private.has_admin_claim())
    or private.runs_challenge_of(challenge_template_id)
  );

drop policy if exists "Challenge templates are created by admins" on public.challenge_templates;
create policy "Challenge templates are created by admins" on public.challenge_templates
  for insert to authenticated
  with check ((select private.has_admin_claim()));

drop policy if exists "Challenge templates are retired by admins" on public.challenge_templates;
create policy "Challenge templates are retired by admins" on public.challenge_templates
  for update to authenticated
  using ((select private.has_admin_claim()))
  with check ((select private.has_admin_claim()));
