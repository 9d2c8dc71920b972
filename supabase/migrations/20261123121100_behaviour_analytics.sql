-- Analytics over behaviour_events (Dreamscape "common queries" and materialized views): the
-- engagement summary live for the person (a security_invoker view, so RLS applies), the same
-- summary materialized for server-side analytics (private, refreshed by cron), the 30-day
-- behaviour summary and the tracking-coverage monitor as SQL functions.

-- Engagement over the last 90 days, per person; through RLS each caller sees only their own row.
create or replace view public.user_engagement_summary
with (security_invoker = true)
as
select
  b.user_id,
  count(*) as total_actions,
  count(distinct b.target_entity_id) as unique_items,
  avg(b.duration_seconds)::double precision as avg_session_duration,
  count(distinct (b.created_at at time zone 'UTC')::date) as active_days,
  max(b.created_at) as last_activity
from public.behaviour_events b
where b.created_at >= now() - interval '90 days'
group by b.user_id;
comment on view public.user_engagement_summary is
  'Live 90-day engagement per person (actions, items, duration, active days); RLS limits it to the caller.';
revoke all on public.user_engagement_summary from anon, authenticated;
grant select on public.user_engagement_summary to authenticated, service_role;

-- The same summary for every person, materialized for cohort analytics; server only.
create materialized view if not exists private.mv_user_engagement_summary as
select
  b.user_id,
  count(*) as total_actions,
  count(distinct b.target_entity_id) as unique_items,
  avg(b.duration_seconds)::double precision as avg_session_duration,
  count(distinct (b.created_at at time zone 'UTC')::date) as active_days,
  max(b.created_at) as last_activity,
  now() as refreshed_at
from public.behaviour_events b
where b.created_at >= now() - interval '90 days'
group by b.user_id;
comment on materialized view private.mv_user_engagement_summary is
  '90-day engagement per person for server-side analytics; refreshed by cron, not exposed.';
create unique index if not exists mv_user_engagement_summary_user_id_key
  on private.mv_user_engagement_summary (user_id);
revoke all on private.mv_user_engagement_summary from public, anon, authenticated;
grant select on private.mv_user_engagement_summary to service_role;

-- Dreamscape "user behaviour summary": per event type over the last p_days days. Security
-- invoker, so an authenticated caller gets rows only for themself.
create or replace function api.behaviour_summary(p_user_id uuid, p_days integer default 30)
returns table (event_type text, action_count bigint, avg_duration double precision, unique_items bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    b.event_type,
    count(*) as action_count,
    avg(b.duration_seconds)::double precision as avg_duration,
    count(distinct b.target_entity_id) as unique_items
  from public.behaviour_events b
  where b.user_id = p_user_id
    and b.created_at >= now() - make_interval(days => p_days)
  group by b.event_type
  order by action_count desc, b.event_type
$$;
comment on function api.behaviour_summary(uuid, integer) is
  'Actions, average duration and distinct items per event type over the last p_days days (default 30).';
revoke all on function api.behaviour_summary(uuid, integer) from public, anon;
grant execute on function api.behaviour_summary(uuid, integer) to authenticated, service_role;

-- Dreamscape monitoring: tracking coverage per UTC day across everyone (operators only).
create or replace function private.behaviour_tracking_coverage(p_days integer default 7)
returns table (day date, active_users bigint, total_events bigint, avg_duration double precision)
language sql
stable
security definer
set search_path = ''
as $$
  select
    (b.created_at at time zone 'UTC')::date as day,
    count(distinct b.user_id),
    count(*),
    avg(b.duration_seconds)::double precision
  from public.behaviour_events b
  where b.created_at >= now() - make_interval(days => p_days)
  group by 1
  order by 1
$$;
comment on function private.behaviour_tracking_coverage(integer) is
  'Per-day active users, events and average duration over the last p_days days; for operators.';
revoke all on function private.behaviour_tracking_coverage(integer) from public, anon, authenticated;
grant execute on function private.behaviour_tracking_coverage(integer) to service_role;
