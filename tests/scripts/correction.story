# A published story corrected: the editor sends the corrected text with a note, someone
# else approves it, and the published article is edited in place with a Correction line.
:as alice
/story new title:"Nvidia loses 600 billion dollars in a day"
/story write intro <<END
Nvidia's market value fell by nearly 600 billion dollars on Monday, the largest one-day loss for any company in the history of the stock market.
END
/story write body <<END
The fall came after the Chinese lab DeepSeek released a model that it says was trained at a fraction of the usual cost.

Investors sold shares of chip makers on fears that cheaper training would need fewer of their chips.
END
/story write conclusion <<END
Nvidia did not respond to a request for comment on Monday evening.
END
/story ref add author:"Carew, S." date:2025-01-27 title:"Nvidia sheds almost 600 billion dollars in market cap" outlet:"Reuters" url:https://www.reuters.com/technology/nvidia-market-cap
:as carol
/story approve title
/story approve intro
/story approve body
/story approve conclusion
/story approve references
:as erin
/story publish
/story correct section:body note:"DeepSeek released the model the week before, not on Monday." <<END
The fall came after the Chinese lab DeepSeek released, the week before, a model that it says was trained at a fraction of the usual cost.

Investors sold shares of chip makers on fears that cheaper training would need fewer of their chips.
END
/story approve body
:as carol
/story approve body
/story history section:body
