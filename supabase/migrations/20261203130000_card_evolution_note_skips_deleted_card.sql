-- A delivery can reach the card pipeline after the card it read was deleted (the card's entity
-- removed in between): noting its state then broke the announcement table's foreign key, the
-- webhook answered 422 and the outbox gave the change up as dead. Now the card is locked
-- (key share) before the note is written: a card already gone is no change and nothing is
-- noted; a delete arriving after the lock waits for this transaction, then cascades the note.

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
