-- Card evolution announcements: evolution stays computed (api.card_evolution), but the
-- pipeline must tell the person's devices when a card's state changes (seed → sprout → bloom ...).
-- A growth event or a graph change arrives after its commit, when the state before it is gone; so
-- the pipeline keeps the last state it announced for each card here, and announces only when the
-- freshly computed state differs. One upsert decides, so two deliveries racing announce once.

create table if not exists private.card_evolution_announcements (
  card_id uuid primary key
    constraint card_evolution_announcements_card_fk references public.cards (card_id) on delete cascade,
  evolution_state text not null,
  announced_at timestamptz not null default now()
);
comment on table private.card_evolution_announcements is
  'The last evolution state announced on the cards channel for each card; absent means never (the default state).';

alter table private.card_evolution_announcements enable row level security;
revoke all on table private.card_evolution_announcements from public, anon, authenticated;
grant all on table private.card_evolution_announcements to service_role;

create or replace function private.note_card_evolution(
  p_card_id uuid, p_state text, p_default_state text
) returns boolean
language sql
security definer
set search_path = ''
as $$
  with card as (
    select c.card_id from public.cards c where c.card_id = p_card_id for key share
  ),
  noted as (
    insert into private.card_evolution_announcements as a (card_id, evolution_state)
    select card.card_id, p_state from card
    on conflict (card_id) do update
      set evolution_state = excluded.evolution_state, announced_at = now()
      where a.evolution_state is distinct from excluded.evolution_state
    returning (xmax = 0) as first_time
  )
  select coalesce((select not first_time or p_state <> p_default_state from noted), false)
$$;
comment on function private.note_card_evolution(uuid, text, text) is
  'Notes a card''s evolution state; true when it changed since the last announcement; false, noting nothing, when the card no longer exists.';
revoke all on function private.note_card_evolution(uuid, text, text) from public, anon, authenticated;
grant execute on function private.note_card_evolution(uuid, text, text) to service_role;
