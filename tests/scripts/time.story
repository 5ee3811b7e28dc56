# Newsroom time, run with --clock 2026-12-07T08:00Z and examples/newsroom.toml plus
# [review.required] body = ["dana"].
/story tz
/story tz zone:Europe/Berlin quiet:22:00-07:00
/story tz zone:Mars/Olympus
/story tz quiet:late
/story mine
/story new title:"Council budget leak"
/story due
/story due at:+2h clear:true
/story due at:"2026-12-01T10:00Z"
/story due at:+2h
/story due section:body at:+2h
:as erin
/story assign section:body user:bob
/story due section:body at:"today 17:00"
/story due section:intro at:+3h
/story due section:intro clear:true
/story due at:"tomorrow 12:00"
/story due section:body
/story due section:conclusion
/story embargo
/story embargo until:+1h clear:true
/story embargo until:+1h
/story embargo
/story publish cancel:true
:as bob
/story write body <<END
The council's draft budget cuts the library service by a third.
END
/story mine
:as carol
/story mine
:clock +7h
:clock +1h
:clock +1h
:as erin
/story embargo clear:true
/story status
/story history body
