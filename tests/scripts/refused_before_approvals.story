# Publishing before every section is approved is refused, with the list of what is missing.
:as alice
/story new title:"Meta scrambles over DeepSeek"
/story write intro <<END
Meta has set up four war rooms of engineers to study DeepSeek V3, according to an internal memo seen by our reporters.
END
:as carol
/story approve intro
:as erin
/story publish
