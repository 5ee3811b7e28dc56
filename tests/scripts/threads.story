# Standing in a section's thread implies the section; messages in the source thread are sources.
:as alice
/story new title:"Meta scrambles over DeepSeek"
/story write body <<END
Two of the four war rooms are working out how DeepSeek brought the cost of training down.
END
:as carol
:in #newsroom › body
/story approve
:in #newsroom › sources
A reader writes that a fifth war room was set up on Tuesday.
:in #newsroom
/story source list
