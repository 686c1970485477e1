"""Weekly digests: each unit's page of what is late, due, unreported and what partners did;
the coordinating office's report per plan; and delivery by mail.

build.py assembles the data, render.py and templates/ lay it out (text, Markdown, HTML),
mail.py turns it into messages and sends them; `tracker digest` is tracker/cli/digest.py.
"""
