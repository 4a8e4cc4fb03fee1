"""The web console (/console) and the public pages (/appeal): server-rendered, every asset vendored."""
