// Placeholder; see the HTMLInjection work.
