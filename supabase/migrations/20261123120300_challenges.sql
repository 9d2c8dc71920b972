-- Challenges (V7 `challenge_templates` + `user_challenges`, V9.7/V11 `user_challenges`): reusable
-- templates that may span several growth dimensions, and each person's instance of one. Rewards
-- are derived_artifacts of type trophy or poster, not a table of their own.

-- The catalogue of quests, maintained by the server; every signed-in person may read it.
create table if not exists public.challenge_templates (
  challenge_template_id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  dim_keys text[] not null default '{}',
  difficulty text not null default 'medium',
  payload jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint challenge_templates_name_length check (char_length(name) between 1 and 255),
  constraint challenge_templates_dim_keys_valid
    check (dim_keys <@ array['self_know', 'self_act', 'self_show', 'world_know', 'world_act', 'world_show']),
  constraint challenge_templates_difficulty_valid check (difficulty in ('easy', 'medium', 'hard')),
  constraint challenge_templates_payload_object check (jsonb_typeof(payload) = 'object')
);
comment on table public.challenge_templates is
  'Reusable challenge definitions (dimensions, difficulty, task parameters); a catalogue, not user data.';

alter table public.challenge_templates enable row level security;

create index if not exists challenge_templates_active_idx
  on public.challenge_templates (is_active, difficulty);

drop trigger if exists challenge_templates_set_updated_at on public.challenge_templates;
create trigger challenge_templates_set_updated_at
  before update on public.challenge_templates
  for each row execute function private.set_updated_at();

revoke all on table public.challenge_templates from anon, authenticated;
grant select on table public.challenge_templates to authenticated;
grant all on table public.challenge_templates to service_role;

drop policy if exists "Active challenge templates are readable by signed-in users" on public.challenge_templates;
create policy "Active challenge templates are readable by signed-in users" on public.challenge_templates
  for select to authenticated
  using (is_active);

-- A person's run at one challenge. People start and abandon; the server completes and expires
-- and owns progress (it is what trophies are awarded on).
create table if not exists public.user_challenges (
  user_challenge_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() constraint user_challenges_user_fk references auth.users (id) on delete cascade,
  challenge_template_id uuid not null constraint user_challenges_template_fk
    references public.challenge_templates (challenge_template_id) on delete restrict,
  status text not null default 'active',
  started_at timestamptz not null default now(),
  due_at timestamptz,
  completed_at timestamptz,
  progress jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_challenges_status_valid check (status in ('active', 'completed', 'expired', 'abandoned')),
  constraint user_challenges_due_after_start check (due_at is null or due_at > started_at),
  constraint user_challenges_completed_after_start check (completed_at is null or completed_at >= started_at),
  constraint user_challenges_completed_at_iff_completed
    check ((status = 'completed') = (completed_at is not null)),
  constraint user_challenges_progress_object check (jsonb_typeof(progress) = 'object')
);
comment on table public.user_challenges is
  'A person''s instance of a challenge template: status, timing and progress.';

alter table public.user_challenges enable row level security;

create index if not exists user_challenges_user_id_status_idx on public.user_challenges (user_id, status);
create index if not exists user_challenges_template_idx on public.user_challenges (challenge_template_id);
create index if not exists user_challenges_active_due_idx
  on public.user_challenges (due_at) where status = 'active';

drop trigger if exists user_challenges_set_updated_at on public.user_challenges;
create trigger user_challenges_set_updated_at
  before update on public.user_challenges
  for each row execute function private.set_updated_at();

revoke all on table public.user_challenges from anon, authenticated;
grant select on table public.user_challenges to authenticated;
grant insert (user_challenge_id, user_id, challenge_template_id, due_at) on table public.user_challenges to authenticated;
grant update (status) on table public.user_challenges to authenticated;
grant all on table public.user_challenges to service_role;

drop policy if exists "User challenges are readable by their owner" on public.user_challenges;
create policy "User challenges are readable by their owner" on public.user_challenges
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "User challenges can be started by their owner" on public.user_challenges;
create policy "User challenges can be started by their owner" on public.user_challenges
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and status = 'active'
    and exists (
      select 1 from public.challenge_templates t
      where t.challenge_template_id = user_challenges.challenge_template_id and t.is_active
    )
  );

-- Owners may only abandon (or resume) an active challenge; completing and expiring are the server's.
drop policy if exists "Active user challenges can be abandoned by their owner" on public.user_challenges;
create policy "Active user challenges can be abandoned by their owner" on public.user_challenges
  for update to authenticated
  using (user_id = (select auth.uid()) and status = 'active')
  with check (user_id = (select auth.uid()) and status in ('active', 'abandoned'));
