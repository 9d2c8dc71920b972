-- Proactive prompts (V9.7/V11 `proactive_prompts`): questions and nudges an agent prepares for the
-- person, surfaced as cards or in dialogue. Agents write them; the person may only change status.

create table if not exists public.proactive_prompts (
  prompt_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint proactive_prompts_user_fk references auth.users (id) on delete cascade,
  prompt_text text not null,
  source_agent text not null,
  status text not null default 'pending',
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint proactive_prompts_prompt_text_not_blank check (btrim(prompt_text) <> ''),
  constraint proactive_prompts_source_agent_length check (char_length(source_agent) between 1 and 64),
  constraint proactive_prompts_status_format check (status ~ '^[a-z][a-z_]{0,31}$'),
  constraint proactive_prompts_metadata_object check (metadata is null or jsonb_typeof(metadata) = 'object')
);
comment on table public.proactive_prompts is
  'Prompts an agent prepared for the person; status tracks pending → shown → answered or dismissed.';

alter table public.proactive_prompts enable row level security;

create index if not exists proactive_prompts_user_id_status_idx
  on public.proactive_prompts (user_id, status, created_at desc);

drop trigger if exists proactive_prompts_set_updated_at on public.proactive_prompts;
create trigger proactive_prompts_set_updated_at
  before update on public.proactive_prompts
  for each row execute function private.set_updated_at();

revoke all on table public.proactive_prompts from anon, authenticated;
grant select on table public.proactive_prompts to authenticated;
grant update (status) on table public.proactive_prompts to authenticated;
grant all on table public.proactive_prompts to service_role;

drop policy if exists "Proactive prompts are readable by their owner" on public.proactive_prompts;
create policy "Proactive prompts are readable by their owner" on public.proactive_prompts
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Proactive prompts are updatable by their owner" on public.proactive_prompts;
create policy "Proactive prompts are updatable by their owner" on public.proactive_prompts
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
