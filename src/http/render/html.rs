//! A round's summary as one printable page (`text/html`).
