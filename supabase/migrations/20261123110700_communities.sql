-- Communities (V9.7/V11): clusters of a person's concepts found by graph analytics.

create table if not exists public.communities (
  community_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  name text not null,
  description text,
  created_at timestamptz not null default now(),
  last_analyzed_ts timestamptz,
  constraint communities_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  -- Lets concepts reference (community_id, user_id), so a concept joins only its owner's community.
  constraint communities_id_user_unique unique (community_id, user_id),
  constraint communities_name_not_blank check (btrim(name) <> '')
);
comment on table public.communities is
  'Concept communities (V9.7/V11) found by graph analytics; written by the server, read by their owner.';

alter table public.communities enable row level security;

create index if not exists communities_user_created_idx on public.communities (user_id, created_at desc);

-- Graph analytics writes communities; a person only reads them.
revoke all on table public.communities from anon, authenticated;
grant select on table public.communities to authenticated;
grant all on table public.communities to service_role;

drop policy if exists "Communities are readable by their owner" on public.communities;
create policy "Communities are readable by their owner" on public.communities
  for select to authenticated
  using (user_id = (select auth.uid()));
