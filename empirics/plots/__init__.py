"""Matplotlib renderers (PNG and PDF): the shared helpers and each paper's figures. Plots take data;
they never import evidence."""
