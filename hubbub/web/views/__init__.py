"""Server-rendered pages. Views parse input, call actions and queries, and
render; htmx requests get the partial template for the piece that changed."""
