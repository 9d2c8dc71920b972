"""Graph: the cosmos projection (projection) and its layout (cosmos_layout), graph views (views) and connection statistics (connections)."""
