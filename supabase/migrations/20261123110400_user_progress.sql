-- User progress (seed 004): a person's learning journey in one coaching app.

create table if not exists public.user_progress (
  user_progress_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  app_id uuid not null,
  progress_data jsonb not null default '{}'::jsonb,
  milestones_reached text[] not null default '{}',
  current_focus_area text,
  total_conversations integer not null default 0,
  total_messages integer not null default 0,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_progress_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint user_progress_app_fk foreign key (app_id) references public.apps (app_id),
  constraint user_progress_user_app_unique unique (user_id, app_id),
  constraint user_progress_progress_data_object check (jsonb_typeof(progress_data) = 'object'),
  constraint user_progress_milestones_distinct check (private.has_no_duplicates(milestones_reached)),
  constraint user_progress_current_focus_area_not_blank check (current_focus_area is null or btrim(current_focus_area) <> ''),
  constraint user_progress_total_conversations_nonnegative check (total_conversations >= 0),
  constraint user_progress_total_messages_nonnegative check (total_messages >= 0)
);
comment on table public.user_progress is
  'A person''s progress in one coaching app (seed 004): progress data, milestones, focus, totals.';
comment on column public.user_progress.updated_at is 'Seed 004 last_updated_at.';

alter table public.user_progress enable row level security;

-- user_progress_user_app_unique (user_id, app_id) is the index behind the policies.
create index if not exists user_progress_app_idx on public.user_progress (app_id);
create index if not exists user_progress_milestones_idx on public.user_progress using gin (milestones_reached);

drop trigger if exists user_progress_set_updated_at on public.user_progress;
create trigger user_progress_set_updated_at
  before update on public.user_progress
  for each row execute function private.set_updated_at();

-- The coach computes progress (data, milestones, totals); a person may start tracking an app and
-- pick their focus area.
revoke all on table public.user_progress from anon, authenticated;
grant select, delete on table public.user_progress to authenticated;
grant insert (user_progress_id, user_id, app_id, current_focus_area) on table public.user_progress to authenticated;
grant update (current_focus_area) on table public.user_progress to authenticated;
grant all on table public.user_progress to service_role;

drop policy if exists "Progress is readable by its owner" on public.user_progress;
create policy "Progress is readable by its owner" on public.user_progress
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Progress is created by its owner" on public.user_progress;
create policy "Progress is created by its owner" on public.user_progress
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Progress is editable by its owner" on public.user_progress;
create policy "Progress is editable by its owner" on public.user_progress
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Progress is deletable by its owner" on public.user_progress;
create policy "Progress is deletable by its owner" on public.user_progress
  for delete to authenticated
  using (user_id = (select auth.uid()));
