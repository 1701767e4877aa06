"""The pipeline page's reads and writes, free of Reflex: the filtered page a tab asks for (`query`), the
pictures (`charts`) and the actions on many jobs at once (`bulk`)."""
