//! Validation rules shared by the server and the browser.
