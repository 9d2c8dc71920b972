-- The card evolution state on knowledge items, so the vector index filters by it (seed 000,
-- Growth Model Integration 6). Kept by the card pipeline (ports/vectors.py set_evolution_states).
alter table vectors.items
  add column if not exists evolution_state text;
comment on column vectors.items.evolution_state is
  'The evolution state of the source entity''s card as the card pipeline last kept it (null: none yet).';
